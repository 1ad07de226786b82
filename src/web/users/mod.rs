//! An administrator's management of the organisation's users: invite, change role and
//! services, remove.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sqlx::PgConnection;

use super::AppState;
use super::access::{OrgAccess, admin_of};
use super::error::AppError;
use super::form::Form;
use super::layout::Layout;
use super::session::{CurrentUser, Session};
use crate::auth::{self, CreateUserError, Created, NewUser};
use crate::domain::account::{Email, Role, parse_display_name};
use crate::domain::ids::{ServiceId, UserId};

pub struct ServiceOption {
    pub id: ServiceId,
    pub name: String,
}

pub struct MemberView {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub services: Vec<ServiceId>,
    pub service_names: Vec<String>,
    /// Invited by this organisation and not activated yet. Nothing else of the account's state
    /// is shown: an account that was added from another organisation reads as any member.
    pub pending: bool,
    pub is_self: bool,
}

/// The invitation form as the user filled it.
#[derive(Default)]
pub struct InviteForm {
    pub email: String,
    pub name: String,
    pub role: String,
    pub services: Vec<ServiceId>,
}

#[derive(Default)]
pub struct FieldErrors {
    pub email: Option<&'static str>,
    pub name: Option<&'static str>,
    pub role: Option<&'static str>,
    pub services: Option<&'static str>,
}

impl FieldErrors {
    fn any(&self) -> bool {
        self.email.is_some()
            || self.name.is_some()
            || self.role.is_some()
            || self.services.is_some()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "users/list.html")]
pub struct UsersPage {
    pub layout: Layout,
    pub organisation: String,
    pub organisation_href: String,
    pub action: String,
    pub roles: Vec<Role>,
    pub members: Vec<MemberView>,
    pub services: Vec<ServiceOption>,
    pub form: InviteForm,
    pub errors: FieldErrors,
    pub notice: Option<String>,
    pub problem: Option<String>,
    pub activation_link: Option<String>,
}

async fn page(
    conn: &mut PgConnection,
    session: &Session,
    access: &OrgAccess,
    user_id: UserId,
) -> Result<UsersPage, AppError> {
    let org = &access.organisation;
    let services: Vec<ServiceOption> = sqlx::query_as!(
        ServiceOption,
        r#"SELECT id AS "id: ServiceId", name FROM service WHERE organisation_id = $1 ORDER BY name"#,
        org.id.get()
    )
    .fetch_all(&mut *conn)
    .await?;
    let rows = sqlx::query!(
        r#"SELECT u.id AS "id: UserId", u.display_name, u.email, m.role,
                  (u.password_hash IS NULL AND u.invited_by_organisation IS NOT DISTINCT FROM m.organisation_id) AS "pending!",
                  coalesce(array_agg(ms.service_id) FILTER (WHERE ms.service_id IS NOT NULL), '{}')
                    AS "services!: Vec<ServiceId>"
             FROM membership m JOIN app_user u ON u.id = m.user_id
             LEFT JOIN membership_service ms ON ms.user_id = m.user_id AND ms.organisation_id = m.organisation_id
            WHERE m.organisation_id = $1
            GROUP BY u.id, u.display_name, u.email, m.role, m.organisation_id
            ORDER BY u.display_name"#,
        org.id.get()
    )
    .fetch_all(&mut *conn)
    .await?;
    let members = rows
        .into_iter()
        .filter_map(|r| {
            let role = Role::from_db(&r.role)?;
            let service_names = services
                .iter()
                .filter(|s| r.services.contains(&s.id))
                .map(|s| s.name.clone())
                .collect();
            Some(MemberView {
                id: r.id,
                name: r.display_name,
                email: r.email,
                role,
                services: r.services,
                service_names,
                pending: r.pending,
                is_self: r.id == user_id,
            })
        })
        .collect();
    Ok(UsersPage {
        layout: Layout::of(session, org),
        organisation: org.short_name.clone(),
        organisation_href: format!("/organisations/{}", org.slug),
        action: format!("/organisations/{}/utilisateurs", org.slug),
        roles: Role::ALL.to_vec(),
        members,
        services,
        // No role chosen in advance: the administrator picks one.
        form: InviteForm::default(),
        errors: FieldErrors::default(),
        notice: None,
        problem: None,
        activation_link: None,
    })
}

pub async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path(slug): Path<String>,
) -> Result<UsersPage, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = admin_of(&mut conn, &user, &slug).await?;
    page(&mut conn, &session, &access, user.id).await
}

/// The invitation and member forms as sent (the services' checkboxes repeat their name).
#[derive(Debug, Default, Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    services: Vec<String>,
}

/// The services chosen, each checked to be one of the organisation's.
fn chosen_services(
    chosen: &[String],
    known: &[ServiceOption],
) -> Result<Vec<ServiceId>, &'static str> {
    let mut ids = Vec::new();
    for value in chosen {
        let id = value.parse::<ServiceId>().map_err(|_| "Service inconnu.")?;
        if !known.iter().any(|s| s.id == id) {
            return Err("Service inconnu.");
        }
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

pub async fn create(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path(slug): Path<String>,
    Form(sent): Form<MemberForm>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = admin_of(&mut conn, &user, &slug).await?;
    let mut view = page(&mut conn, &session, &access, user.id).await?;
    let form = InviteForm {
        email: sent.email.clone(),
        name: sent.name.clone(),
        role: sent.role.clone(),
        services: sent
            .services
            .iter()
            .filter_map(|v| v.parse().ok())
            .collect(),
    };
    let mut errors = FieldErrors::default();
    let email = Email::parse(&form.email)
        .map_err(|e| errors.email = Some(e))
        .ok();
    let name = parse_display_name(&form.name)
        .map_err(|e| errors.name = Some(e))
        .ok();
    let role = Role::from_db(&form.role);
    if role.is_none() {
        errors.role = Some("Choisissez un rôle dans la liste.");
    }
    let services = chosen_services(&sent.services, &view.services)
        .map_err(|e| errors.services = Some(e))
        .ok();
    if role == Some(Role::Pilot) && services.as_ref().is_some_and(Vec::is_empty) {
        errors.services = Some("Un pilote pilote au moins un service : cochez-en un.");
    }
    let (Some(email), Some(name), Some(role), Some(services), false) =
        (email, name, role, services, errors.any())
    else {
        view.form = form;
        view.errors = errors;
        view.problem = Some(NOT_CREATED.into());
        return Err(AppError::invalid(view));
    };
    let services = if role == Role::Pilot {
        services
    } else {
        Vec::new()
    };
    let new = NewUser {
        email: email.as_str(),
        display_name: &name,
        password_hash: None,
        organisation_id: access.organisation.id,
        role,
        services: &services,
    };
    let mut tx = sqlx::Acquire::begin(&mut *conn).await?;
    let created = match auth::create_user(&mut tx, &new).await {
        Ok(created) => created,
        Err(CreateUserError::AwaitingActivation) => {
            view.form = form;
            view.errors.email = Some(
                "Cette adresse a une invitation en attente d'activation : la personne pourra être \
                 ajoutée quand elle aura activé son compte.",
            );
            view.problem = Some(NOT_CREATED.into());
            return Err(AppError::invalid(view));
        }
        Err(CreateUserError::EmailTaken) => {
            view.form = form;
            view.errors.email = Some("Cette personne fait déjà partie de l'organisation.");
            view.problem = Some(NOT_CREATED.into());
            return Err(AppError::invalid(view));
        }
        Err(CreateUserError::Db(e)) => return Err(e.into()),
    };
    // An activation link only for an account this invitation created: an existing account's
    // password is its owner's alone.
    let token = match created {
        Created::Account(id) => Some(auth::create_activation(&mut tx, id).await?),
        Created::Membership(_) => None,
    };
    tx.commit().await?;
    let mut view = page(&mut conn, &session, &access, user.id).await?;
    let organisation = &access.organisation.short_name;
    view.notice = Some(match created {
        Created::Account(_) => format!("Compte créé pour {name} ({}).", email.as_str()),
        Created::Membership(_) => format!(
            "{} a déjà un compte SPASER : {organisation} a été ajoutée à ses organisations. \
             Cette personne la verra à sa prochaine connexion, avec son mot de passe habituel.",
            email.as_str()
        ),
    });
    view.activation_link = token.map(|token| format!("{}/activation/{token}", state.public_url));
    Ok((StatusCode::CREATED, view).into_response())
}

/// Announced at the top of the page when the invitation form is refused; the details are beside
/// the fields.
const NOT_CREATED: &str =
    "Le compte n'a pas été créé : corrigez les champs signalés sous « Inviter une personne ».";

pub async fn update(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((slug, member_id)): Path<(String, UserId)>,
    Form(sent): Form<MemberForm>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = admin_of(&mut conn, &user, &slug).await?;
    let mut view = page(&mut conn, &session, &access, user.id).await?;
    let Some(member) = view.members.iter().find(|m| m.id == member_id) else {
        return Err(AppError::NotFound);
    };
    let role = Role::from_db(&sent.role);
    let services = chosen_services(&sent.services, &view.services);
    let problem = match (role, &services) {
        (None, _) => Some("Choisissez un rôle dans la liste."),
        (_, Err(e)) => Some(*e),
        (Some(Role::Pilot), Ok(s)) if s.is_empty() => {
            Some("Un pilote pilote au moins un service : cochez-en un.")
        }
        (Some(r), _) if member.is_self && r != member.role => Some(
            "Vous ne pouvez pas changer votre propre rôle : demandez-le à un autre administrateur.",
        ),
        _ => None,
    };
    if let Some(problem) = problem {
        view.problem = Some(problem.to_string());
        return Err(AppError::invalid(view));
    }
    let role = role.unwrap_or(member.role);
    let services = if role == Role::Pilot {
        services.unwrap_or_default()
    } else {
        Vec::new()
    };
    let mut tx = sqlx::Acquire::begin(&mut *conn).await?;
    sqlx::query!(
        "UPDATE membership SET role = $3 WHERE user_id = $1 AND organisation_id = $2",
        member_id.get(),
        access.organisation.id.get(),
        role.as_db()
    )
    .execute(&mut *tx)
    .await?;
    auth::set_services(&mut tx, member_id, access.organisation.id, &services).await?;
    tx.commit().await?;
    Ok(Redirect::to(&view.action).into_response())
}

pub async fn remove(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    Path((slug, member_id)): Path<(String, UserId)>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let access = admin_of(&mut conn, &user, &slug).await?;
    if member_id == user.id {
        let mut view = page(&mut conn, &session, &access, user.id).await?;
        view.problem = Some("Vous ne pouvez pas vous retirer vous-même de l'organisation.".into());
        return Err(AppError::invalid(view));
    }
    let removed = sqlx::query!(
        "DELETE FROM membership WHERE user_id = $1 AND organisation_id = $2",
        member_id.get(),
        access.organisation.id.get()
    )
    .execute(&mut *conn)
    .await?;
    if removed.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    // Memberships are read at every request: the rights go at once, without signing anyone out.
    Ok(Redirect::to(&format!(
        "/organisations/{}/utilisateurs",
        access.organisation.slug
    ))
    .into_response())
}

/// The routes of this feature.
pub fn routes() -> Vec<super::RouteDef> {
    use super::{get_route, post_route};
    vec![
        get_route("/organisations/{organisation}/utilisateurs", list),
        post_route("/organisations/{organisation}/utilisateurs", create),
        post_route("/organisations/{organisation}/utilisateurs/{user}", update),
        post_route(
            "/organisations/{organisation}/utilisateurs/{user}/retirer",
            remove,
        ),
    ]
}
