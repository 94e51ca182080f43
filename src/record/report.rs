//! Access-review reports from recorded sessions.
