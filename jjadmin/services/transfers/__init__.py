"""教师调动 (SPEC §6), one module per step: `request` (one teacher or a sheet), `decision`
(approve, reject, cancel), `views` (list, show, lookup), `blocks` (what stops a move) and
`common`.

The receiving school asks; a move inside one district is approved by that district's
training office, a move across districts by the city centre. A special user, a teacher with
an unpaid enrollment of an earlier period, or one with a pending transfer cannot be moved.
"""

from jjadmin.services.transfers.blocks import SPECIAL_USER_RULE as SPECIAL_USER_RULE
from jjadmin.services.transfers.common import LEVEL_NAMES as LEVEL_NAMES
from jjadmin.services.transfers.common import NOTE_MAX as NOTE_MAX
from jjadmin.services.transfers.common import STATE_NAMES as STATE_NAMES
from jjadmin.services.transfers.common import STATES as STATES
from jjadmin.services.transfers.common import clean_note as clean_note
from jjadmin.services.transfers.decision import approve_transfer as approve_transfer
from jjadmin.services.transfers.decision import cancel_transfer as cancel_transfer
from jjadmin.services.transfers.decision import reject_transfer as reject_transfer
from jjadmin.services.transfers.request import import_transfers as import_transfers
from jjadmin.services.transfers.request import request_transfer as request_transfer
from jjadmin.services.transfers.views import TransferCandidate as TransferCandidate
from jjadmin.services.transfers.views import TransferView as TransferView
from jjadmin.services.transfers.views import find_teacher as find_teacher
from jjadmin.services.transfers.views import list_transfers as list_transfers
from jjadmin.services.transfers.views import show_transfer as show_transfer
