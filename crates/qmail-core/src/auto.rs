//! Build-time configuration, generated from `conf/` by build.rs.
include!(concat!(env!("OUT_DIR"), "/auto.rs"));
