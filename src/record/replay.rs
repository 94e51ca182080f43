//! Replay: a readable timeline of recorded sessions.
