"""课程管理 (SPEC §5, §6), one module per step: `catalogue_import` (course import), `queries`
(list, show, export), `school_based` (校本课程: declare, approve, reject), `visibility` (which
courses an actor may see) and `common` (levels, headers, the course view)."""

from jjadmin.services.courses.catalogue_import import import_courses as import_courses
from jjadmin.services.courses.common import HEADERS as HEADERS
from jjadmin.services.courses.common import CourseView as CourseView
from jjadmin.services.courses.common import course_view as course_view
from jjadmin.services.courses.queries import CourseFilter as CourseFilter
from jjadmin.services.courses.queries import export_rows as export_rows
from jjadmin.services.courses.queries import list_courses as list_courses
from jjadmin.services.courses.queries import show_course as show_course
from jjadmin.services.courses.school_based import Declaration as Declaration
from jjadmin.services.courses.school_based import approve_course as approve_course
from jjadmin.services.courses.school_based import declare_course as declare_course
from jjadmin.services.courses.school_based import reject_course as reject_course
from jjadmin.services.courses.visibility import get_course as get_course
from jjadmin.services.courses.visibility import get_visible_course as get_visible_course
from jjadmin.services.courses.visibility import teacher_course_clause as teacher_course_clause
from jjadmin.services.courses.visibility import visible_course_clause as visible_course_clause
