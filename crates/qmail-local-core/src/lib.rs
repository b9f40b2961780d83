//! qmail-local's parsers of untrusted bytes, without I/O of their own: `.qmail` lines and
//! the order in which `.qmail` files are looked for (`dotqmail`), the Delivered-To loop
//! check over the message header (`dtline`), and the EXTn/HOSTn parts of an address
//! (`parts`). A crate of their own so that the fuzz targets reach them without depending
//! on the program.
#![forbid(unsafe_code)]

pub mod dotqmail;
pub mod dtline;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
pub mod parts;
