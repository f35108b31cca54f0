//! Alertmanager stand-in (work in progress).
