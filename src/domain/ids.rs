//! The ids of what crosses module boundaries, one type each, so that an indicator's id cannot be
//! passed where a plan's is expected. They are the database's `bigint` keys (`#[sqlx(transparent)]`:
//! a query names the type in a column override, `id AS "id: PlanId"`), written in forms and
//! addresses as the number itself.

macro_rules! id {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            serde::Serialize,
            serde::Deserialize,
            sqlx::Type,
        )]
        #[serde(transparent)]
        #[sqlx(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// The number, for a query's argument.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }
    )*};
}

id! {
    /// An organisation (a buyer).
    OrganisationId;
    /// A plan of an organisation.
    PlanId;
    /// An axis of a plan.
    AxisId;
    /// An objective of a plan.
    ObjectiveId;
    /// An action of a plan.
    ActionId;
    /// An indicator of an action.
    IndicatorId;
    /// A service of an organisation (the pilots of actions and indicators).
    ServiceId;
    /// A person's account.
    UserId;
}

/// Ids as the array a query takes (`= ANY($1)`, `unnest($1::bigint[])`).
pub fn numbers<I: Into<i64> + Copy>(ids: &[I]) -> Vec<i64> {
    ids.iter().map(|&id| id.into()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_written_and_read_as_its_number() {
        let plan = PlanId(42);
        assert_eq!(plan.to_string(), "42");
        assert_eq!("42".parse::<PlanId>(), Ok(plan));
        assert!("4x".parse::<PlanId>().is_err());
        assert_eq!(serde_json::to_string(&plan).unwrap(), "42");
        assert_eq!(serde_json::from_str::<PlanId>("42").unwrap(), plan);
        assert_eq!(numbers(&[ActionId(3), ActionId(1)]), [3, 1]);
    }
}
