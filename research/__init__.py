"""research: an offline qualitative interview research assistant for CX teams."""

from research.sqlite_import import import_sqlite_utils_without_pandas
from research.threads import idle_threads_sleep
from research.triton_guard import block_triton

__version__ = "0.1.0"

idle_threads_sleep()  # before torch or CTranslate2 loads
block_triton()
import_sqlite_utils_without_pandas()
