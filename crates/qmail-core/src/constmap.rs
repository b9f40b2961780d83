//! constmap: case-insensitive lookups in list controls (last duplicate wins).
