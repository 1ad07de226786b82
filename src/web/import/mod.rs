//! Importing a plan from a spreadsheet: upload, preview (with corrections), commit; and the
//! plan's export in the same columns.

mod draft;
mod export;
mod mapping;
mod reading;
use draft::*;
use export::*;
use mapping::*;
use reading::*;

/// The routes of this feature.
pub fn routes() -> Vec<super::RouteDef> {
    use super::{get_route, post_route};
    vec![
        get_route("/organisations/{organisation}/import", upload_form),
        post_route("/organisations/{organisation}/import", upload),
        get_route("/organisations/{organisation}/import/modele.xlsx", template),
        get_route("/organisations/{organisation}/import/{draft}", preview),
        post_route("/organisations/{organisation}/import/{draft}", commit),
        post_route(
            "/organisations/{organisation}/import/{draft}/colonnes",
            remap,
        ),
        post_route(
            "/organisations/{organisation}/import/{draft}/annuler",
            cancel,
        ),
        get_route(
            "/organisations/{organisation}/plans/{plan}/export/{file}",
            export_plan,
        ),
    ]
}
