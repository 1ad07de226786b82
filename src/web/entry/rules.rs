//! The status rules, in French, where users can read them.

use askama::Template;
use askama_web::WebTemplate;

use crate::web::layout::Layout;
use crate::web::session::Session;

#[derive(Template, WebTemplate)]
#[template(path = "entry/rules.html")]
pub struct RulesPage {
    pub layout: Layout,
}

/// The status rules, in French, where users can read them.
pub async fn rules(session: Session) -> RulesPage {
    RulesPage {
        layout: Layout::new(&session),
    }
}
