//! cdb: constant databases in the standard format (reader with pread, writer).
