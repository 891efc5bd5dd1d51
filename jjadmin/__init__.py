"""jjadmin — 继续教育管理命令行工具."""

__version__ = "0.1.0"
