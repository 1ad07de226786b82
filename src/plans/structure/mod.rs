//! A plan's structure as administrators build it in the browser: reading it with what hangs on
//! each item, changing it item by item (with conflicts and history), and starting a plan's next
//! period from it.

pub mod copy;
pub mod read;
pub mod write;

pub use read::{Structure, structure};
pub use write::{Author, EditError};
