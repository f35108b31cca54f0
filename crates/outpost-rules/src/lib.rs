//! Rule evaluation (work in progress).
