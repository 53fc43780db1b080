"""research: an offline qualitative interview research assistant for CX teams."""

from research.sqlite_import import import_sqlite_utils_without_pandas
from research.triton_guard import block_triton

__version__ = "0.1.0"

block_triton()
import_sqlite_utils_without_pandas()
