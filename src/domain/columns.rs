//! What each column of a plan sheet holds, recognised from its heading by meaning: the office's
//! headings (`N° AXE`, `OBJECTIFS`, `Valeurs cibles`, `Qui pilote cet indicateur ?`…) and their
//! synonyms in other buyers' plans (`Pilote(s)`, `Numéro d'axe`, `Libellé de l'objectif`,
//! `Fiche action`, `Intitulé de l'action`, `Indicateur de suivi`, `Nature de l'indicateur`,
//! `Objectif chiffré`, `Unité`, `Sens`, `Valeur de référence (2024)`, `Cible 2025`…), whatever
//! their case, accents or spacing. Also where the header row is: the row of the first 20 whose
//! cells name the most fields.

use super::sheet::fold;

/// A field of the plan a column may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    AxisNumber,
    Axis,
    ObjectiveNumber,
    Objective,
    ActionNumber,
    Action,
    Indicators,
    IndicatorKind,
    /// The targets as free text (`2025 : 10 000 h ; 2026 : …`).
    Targets,
    Pilots,
    Unit,
    /// « Sens » : hausse / baisse.
    Direction,
    /// « Valeur de référence (2024) ».
    Baseline,
    /// One year's target (« Cible 2025 »).
    TargetYear(i32),
}

/// The header row is looked for in this many first rows.
pub const HEADER_SEARCH_ROWS: usize = 20;

impl Field {
    /// The office's ten columns, in its order (the import's and the export's columns).
    pub const ALL: [Field; 10] = [
        Field::AxisNumber,
        Field::Axis,
        Field::ObjectiveNumber,
        Field::Objective,
        Field::ActionNumber,
        Field::Action,
        Field::Indicators,
        Field::IndicatorKind,
        Field::Targets,
        Field::Pilots,
    ];

    /// Every field but the yearly targets, in the order a mapping offers them.
    pub const CHOICES: [Field; 13] = [
        Field::AxisNumber,
        Field::Axis,
        Field::ObjectiveNumber,
        Field::Objective,
        Field::ActionNumber,
        Field::Action,
        Field::Indicators,
        Field::IndicatorKind,
        Field::Targets,
        Field::Pilots,
        Field::Unit,
        Field::Direction,
        Field::Baseline,
    ];

    /// The header as the office's sheet writes it (the name used in messages).
    pub fn header(self) -> String {
        match self {
            Field::AxisNumber => "N° AXE".into(),
            Field::Axis => "AXE".into(),
            Field::ObjectiveNumber => "N° Objectif".into(),
            Field::Objective => "OBJECTIFS".into(),
            Field::ActionNumber => "N° ACTION".into(),
            Field::Action => "ACTIONS".into(),
            Field::Indicators => "Indicateurs".into(),
            Field::IndicatorKind => "Type d'indicateur".into(),
            Field::Targets => "Valeurs cibles".into(),
            Field::Pilots => "Qui pilote cet indicateur ?".into(),
            Field::Unit => "Unité".into(),
            Field::Direction => "Sens".into(),
            Field::Baseline => "Valeur de référence".into(),
            Field::TargetYear(year) => format!("Cible {year}"),
        }
    }

    /// What the field is, for a person choosing it.
    pub fn label_fr(self) -> String {
        match self {
            Field::AxisNumber => "Numéro d'axe".into(),
            Field::Axis => "Axe (intitulé)".into(),
            Field::ObjectiveNumber => "Numéro d'objectif".into(),
            Field::Objective => "Objectif (intitulé)".into(),
            Field::ActionNumber => "Numéro d'action".into(),
            Field::Action => "Action (intitulé)".into(),
            Field::Indicators => "Indicateur".into(),
            Field::IndicatorKind => "Type d'indicateur".into(),
            Field::Targets => "Valeurs cibles (texte)".into(),
            Field::Pilots => "Pilotes".into(),
            Field::Unit => "Unité".into(),
            Field::Direction => "Sens (hausse, baisse)".into(),
            Field::Baseline => "Valeur de référence".into(),
            Field::TargetYear(year) => format!("Cible {year}"),
        }
    }

    /// The field's name on the command line and in forms (`targets`, `target:2025`).
    pub fn key(self) -> String {
        match self {
            Field::AxisNumber => "axis_number".into(),
            Field::Axis => "axis".into(),
            Field::ObjectiveNumber => "objective_number".into(),
            Field::Objective => "objective".into(),
            Field::ActionNumber => "action_number".into(),
            Field::Action => "action".into(),
            Field::Indicators => "indicator".into(),
            Field::IndicatorKind => "kind".into(),
            Field::Targets => "targets".into(),
            Field::Pilots => "pilots".into(),
            Field::Unit => "unit".into(),
            Field::Direction => "direction".into(),
            Field::Baseline => "baseline".into(),
            Field::TargetYear(year) => format!("target:{year}"),
        }
    }

    /// Reads a field's key; `Ok(None)` is `ignore`. A few plural or French spellings are
    /// accepted too (`indicators`, `pilot`, `target:2025`, `2025`).
    pub fn from_key(key: &str) -> Result<Option<Field>, String> {
        let key = key.trim().to_lowercase();
        if let Some(year) = key
            .strip_prefix("target:")
            .or_else(|| key.strip_prefix("cible:"))
            .or(Some(key.as_str()))
            .and_then(|y| y.trim().parse::<i32>().ok())
        {
            return if (1990..=2100).contains(&year) {
                Ok(Some(Field::TargetYear(year)))
            } else {
                Err(format!("année « {year} » invalide"))
            };
        }
        let field = match key.as_str() {
            "ignore" | "ignorer" | "" => return Ok(None),
            "axis_number" => Field::AxisNumber,
            "axis" => Field::Axis,
            "objective_number" => Field::ObjectiveNumber,
            "objective" => Field::Objective,
            "action_number" => Field::ActionNumber,
            "action" => Field::Action,
            "indicator" | "indicators" => Field::Indicators,
            "kind" => Field::IndicatorKind,
            "targets" => Field::Targets,
            "pilots" | "pilot" => Field::Pilots,
            "unit" => Field::Unit,
            "direction" => Field::Direction,
            "baseline" => Field::Baseline,
            other => {
                return Err(format!(
                    "champ « {other} » inconnu (axis_number, axis, objective_number, objective, action_number, action, indicator, kind, targets, pilots, unit, direction, baseline, target:ANNÉE, ignore)"
                ));
            }
        };
        Ok(Some(field))
    }

    /// The number column of the same level.
    pub fn numbered(self) -> Option<Field> {
        match self {
            Field::Axis | Field::AxisNumber => Some(Field::AxisNumber),
            Field::Objective | Field::ObjectiveNumber => Some(Field::ObjectiveNumber),
            Field::Action | Field::ActionNumber => Some(Field::ActionNumber),
            _ => None,
        }
    }

    /// Recognises a header cell by its meaning. A long text is a row's content, not a heading.
    pub fn recognise(cell: &str) -> Option<Field> {
        if cell.chars().count() > 80 {
            return None;
        }
        let key = fold(cell).replace(['°', 'º'], " ");
        let words: Vec<&str> = key
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        let numbered = words.iter().any(|w| {
            matches!(
                *w,
                "n" | "no" | "num" | "numero" | "numeros" | "code" | "ref"
            )
        });
        let has = |w: &str| words.iter().any(|x| x.starts_with(w));
        let word = |w: &str| words.contains(&w);
        let year = words
            .iter()
            .filter(|w| w.len() == 4)
            .find_map(|w| w.parse::<i32>().ok())
            .filter(|y| (1990..=2100).contains(y));
        let level = |plain: Field| {
            Some(if numbered {
                plain.numbered().unwrap_or(plain)
            } else {
                plain
            })
        };
        if has("pilot") || has("responsable") || has("referent") || has("porteur") {
            Some(Field::Pilots)
        } else if has("reference") || has("initial") || key.contains("point de depart") {
            Some(Field::Baseline)
        } else if has("unite") {
            Some(Field::Unit)
        } else if word("sens") || has("tendance") {
            Some(Field::Direction)
        } else if let Some(year) = year.filter(|_| {
            words.len() == 1 || has("cible") || has("objectif") || has("valeur") || has("prevu")
        }) {
            Some(Field::TargetYear(year))
        } else if has("cible") || key.contains("objectif chiffre") {
            Some(Field::Targets)
        } else if word("type") || word("nature") {
            Some(Field::IndicatorKind)
        } else if has("indicateur") {
            Some(Field::Indicators)
        } else if word("fiche") || word("fiches") {
            level(Field::Objective)
        } else if has("action") {
            level(Field::Action)
        } else if has("objectif") {
            level(Field::Objective)
        } else if word("axe") || word("axes") {
            level(Field::Axis)
        } else {
            None
        }
    }
}

/// A bare « N° » heads the number column of the level named in the next cell (the office's
/// sheet: `N°`, `AXE`, `N° Objectif`…).
fn is_number_marker(cell: &str) -> bool {
    matches!(
        fold(cell).trim_end_matches('.'),
        "n°" | "no" | "n" | "num" | "numero" | "nº"
    )
}

/// What each cell of a header row holds; a field named twice is taken from its first column.
pub fn recognise_header(header: &[String]) -> Vec<Option<Field>> {
    let mut out: Vec<Option<Field>> = Vec::with_capacity(header.len());
    for (i, cell) in header.iter().enumerate() {
        let recognised = if is_number_marker(cell) {
            header
                .get(i + 1)
                .and_then(|next| Field::recognise(next))
                .and_then(Field::numbered)
        } else {
            Field::recognise(cell)
        };
        out.push(recognised.filter(|f| !out.contains(&Some(*f))));
    }
    out
}

/// How many fields a row names: its score as a header.
pub fn header_score(row: &[String]) -> usize {
    recognise_header(row).iter().flatten().count()
}

/// The header row: of the first [`HEADER_SEARCH_ROWS`] rows, the first naming the most fields.
pub fn find_header(rows: &[Vec<String>]) -> usize {
    let mut best = (0, 0);
    for (i, row) in rows.iter().take(HEADER_SEARCH_ROWS).enumerate() {
        let score = header_score(row);
        if score > best.1 {
            best = (i, score);
        }
    }
    best.0
}

/// Where the plan's table is in a sheet and what its columns hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The header row, from 0.
    pub header_row: usize,
    /// The header cells as written.
    pub headers: Vec<String>,
    /// What each column holds; `None`: ignored.
    pub fields: Vec<Option<Field>>,
}

impl Layout {
    /// The layout recognised in a sheet's rows.
    pub fn of(rows: &[Vec<String>]) -> Layout {
        let header_row = find_header(rows);
        let headers = rows.get(header_row).cloned().unwrap_or_default();
        let fields = recognise_header(&headers);
        Layout {
            header_row,
            headers,
            fields,
        }
    }

    /// The column of a field.
    pub fn column(&self, field: Field) -> Option<usize> {
        self.fields.iter().position(|f| *f == Some(field))
    }

    /// Sets what the column headed `header` (compared folded) or at that letter (`C`) holds;
    /// the field leaves any other column. Unknown header: an error naming the headers.
    pub fn assign(&mut self, header: &str, field: Option<Field>) -> Result<(), String> {
        let wanted = fold(header);
        let index = self
            .headers
            .iter()
            .position(|h| fold(h) == wanted)
            .or_else(|| column_index(header.trim()).filter(|i| *i < self.headers.len()))
            .ok_or_else(|| {
                format!(
                    "colonne « {} » introuvable (colonnes du fichier : {})",
                    header.trim(),
                    self.headers
                        .iter()
                        .filter(|h| !h.trim().is_empty())
                        .map(|h| h.trim())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
        if let Some(field) = field {
            for f in &mut self.fields {
                if *f == Some(field) {
                    *f = None;
                }
            }
        }
        self.fields[index] = field;
        Ok(())
    }

    /// The required fields no column holds: an objective (number or text), an action, an
    /// indicator. Named as the office writes them.
    pub fn missing(&self) -> Vec<String> {
        let mut missing = Vec::new();
        if self.column(Field::ObjectiveNumber).is_none() && self.column(Field::Objective).is_none()
        {
            missing.push(Field::ObjectiveNumber.header());
            missing.push(Field::Objective.header());
        }
        for field in [Field::Action, Field::Indicators] {
            if self.column(field).is_none() {
                missing.push(field.header());
            }
        }
        missing
    }
}

/// The index from 0 of a column letter (`A` → 0, `AA` → 26), up to three letters.
pub fn column_index(letters: &str) -> Option<usize> {
    if letters.is_empty() || letters.len() > 3 || !letters.bytes().all(|b| b.is_ascii_alphabetic())
    {
        return None;
    }
    Some(
        letters.bytes().fold(0usize, |n, b| {
            n * 26 + usize::from(b.to_ascii_uppercase() - b'A' + 1)
        }) - 1,
    )
}

/// The letter of a column from its index from 0.
pub fn column_letter(index: usize) -> String {
    let mut letters = Vec::new();
    let mut n = index + 1;
    while n > 0 {
        letters.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8_lossy(&letters).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_are_recognised_by_meaning() {
        use Field::*;
        let cases = [
            // The office's.
            ("N° AXE", AxisNumber),
            ("AXE", Axis),
            ("N° Objectif", ObjectiveNumber),
            ("No objectif", ObjectiveNumber),
            ("Numéro  d'objectif", ObjectiveNumber),
            ("OBJECTIFS", Objective),
            ("N° ACTION", ActionNumber),
            ("ACTIONS", Action),
            ("Indicateurs", Indicators),
            ("Type d'indicateur", IndicatorKind),
            ("  valeurs   CIBLES ", Targets),
            ("Qui pilote cet indicateur ?", Pilots),
            // A département's.
            ("Pilote(s)", Pilots),
            ("Numéro d'axe", AxisNumber),
            ("Intitulé de l'axe", Axis),
            ("Objectif n°", ObjectiveNumber),
            ("Libellé de l'objectif", Objective),
            ("Action n°", ActionNumber),
            ("Intitulé de l'action", Action),
            ("Indicateur(s)", Indicators),
            ("Nature de l'indicateur", IndicatorKind),
            ("Cibles", Targets),
            // Others.
            ("Responsable", Pilots),
            ("Service pilote", Pilots),
            ("Axe stratégique", Axis),
            ("Objectif stratégique", Objective),
            ("Fiche action", Objective),
            ("N° fiche", ObjectiveNumber),
            ("Indicateur de suivi", Indicators),
            ("TYPE", IndicatorKind),
            ("Valeurs cibles", Targets),
            ("Objectif chiffré", Targets),
            ("Unité", Unit),
            ("Sens", Direction),
            ("Sens d'évolution", Direction),
            ("Valeur de référence (2024)", Baseline),
            ("Situation initiale", Baseline),
            ("Cible 2025", TargetYear(2025)),
            ("Valeur cible 2026", TargetYear(2026)),
            ("Objectif 2027", TargetYear(2027)),
            ("2028", TargetYear(2028)),
        ];
        for (cell, field) in cases {
            assert_eq!(Field::recognise(cell), Some(field), "{cell}");
        }
        for cell in ["Observations", "Commentaire", "", "Budget"] {
            assert_eq!(Field::recognise(cell), None, "{cell}");
        }
    }

    #[test]
    fn the_header_row_is_the_one_naming_most_fields() {
        let row = |cells: &[&str]| cells.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        let rows = vec![
            row(&["Plan d'actions SPASER 2024-2026", "", ""]),
            row(&["", "", ""]),
            row(&[
                "Pilote(s)",
                "Objectif n°",
                "Intitulé de l'action",
                "Indicateur(s)",
            ]),
            row(&["DSI", "1", "Former", "Agents formés"]),
        ];
        assert_eq!(find_header(&rows), 2);
        let layout = Layout::of(&rows);
        assert_eq!(
            layout.fields,
            [
                Some(Field::Pilots),
                Some(Field::ObjectiveNumber),
                Some(Field::Action),
                Some(Field::Indicators)
            ]
        );
        assert!(layout.missing().is_empty());
        // A header past row 20 is not looked for.
        let mut far = vec![row(&["x"]); 25];
        far.push(row(&["Objectif", "Action", "Indicateur"]));
        assert_eq!(find_header(&far), 0);
    }

    #[test]
    fn a_mapping_is_changed_by_header_or_letter() {
        let headers = ["Quoi", "Action", "Indicateur", "Objectifs visés"]
            .map(String::from)
            .to_vec();
        let mut layout = Layout::of(&[headers]);
        assert_eq!(
            layout.missing(),
            Vec::<String>::new(),
            "« Objectifs visés » is an objective"
        );
        layout.assign("quoi", Some(Field::Objective)).unwrap();
        assert_eq!(layout.column(Field::Objective), Some(0));
        assert_eq!(layout.fields[3], None, "a field leaves its former column");
        layout.assign("D", Some(Field::Targets)).unwrap();
        assert_eq!(layout.column(Field::Targets), Some(3));
        assert!(layout.assign("Nulle part", None).is_err());
        assert_eq!(
            Field::from_key("target:2025"),
            Ok(Some(Field::TargetYear(2025)))
        );
        assert_eq!(Field::from_key("ignore"), Ok(None));
        assert!(Field::from_key("nimporte").is_err());
        for field in Field::CHOICES {
            assert_eq!(Field::from_key(&field.key()), Ok(Some(field)));
        }
        assert_eq!(
            (column_index("A"), column_index("AA"), column_letter(27)),
            (Some(0), Some(26), "AB".into())
        );
    }
}
