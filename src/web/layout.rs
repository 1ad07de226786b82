//! What every page's frame shows: who is signed in, and the token for the sign-out form.

use super::session::Session;

#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub user_name: Option<String>,
    pub csrf: Option<String>,
}

impl Layout {
    pub fn new(session: &Session) -> Self {
        Self {
            user_name: session.user().map(|u| u.display_name.clone()),
            csrf: session.csrf(),
        }
    }
}
