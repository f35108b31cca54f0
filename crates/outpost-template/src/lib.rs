//! Go text/template engine (work in progress).
