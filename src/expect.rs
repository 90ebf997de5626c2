//! Typed, composable expectations over captured events, in the spirit of Tetragon's
//! eventchecker and libs' own e2e `assert_events`.
//!
//! An [`EventMatcher`] is a named set of predicates on event keys: sinsp fields (`proc.name`,
//! `fd.name`, ...), raw parameters (`param.fd`, `param.res`) and header keys (`evt.type`,
//! `evt.dir`, `evt.num`, `thread.tid`). Checks combine matchers: [`sequence`] (in order, gaps
//! allowed), [`all_of`] (any order), [`none_of`] (must not appear). An [`Expectation`] consumes
//! events until every positive check is satisfied or its deadline passes, and a failure explains
//! itself: which matcher failed, the predicates it wanted, and the nearest events seen, best
//! partial match first, projected onto the keys the matcher looks at.
//!
//! ```
//! use sinspqa::expect::{event, eq, ge, prefix, all_of, Expectation};
//! let opened = event("child opens its file")
//!     .ty("openat").exit()
//!     .field("proc.pid", eq(42))
//!     .field("fd.name", prefix("/tmp/"))
//!     .param("fd", ge(0));
//! let exp = Expectation::new(vec![all_of([opened])]);
//! assert!(exp.check_events(&[]).is_err());
//! ```
use std::collections::BTreeSet;
use std::fmt;
use std::time::{Duration, Instant};

use crossbeam_channel::RecvTimeoutError;
use regex::Regex;
use serde_json::Value;

use crate::event::Event;

/// A predicate on one value.
#[derive(Clone, Debug)]
pub enum Pred {
    /// Equal (numbers compare numerically, a number equals its decimal string).
    Eq(Value),
    /// Not equal (a missing value is "not equal").
    Ne(Value),
    /// A string starting with.
    Prefix(String),
    /// A string ending with.
    Suffix(String),
    /// A string containing.
    Contains(String),
    /// A string matching a regular expression (anchor it yourself).
    Regex(Regex),
    /// A number `>`.
    Gt(i128),
    /// A number `>=`.
    Ge(i128),
    /// A number `<`.
    Lt(i128),
    /// A number `<=`.
    Le(i128),
    /// Any non-null value.
    Present,
    /// Null or absent.
    Absent,
    /// Every one of the predicates.
    All(Vec<Pred>),
    /// At least one of the predicates.
    AnyOf(Vec<Pred>),
}

/// `== v`.
pub fn eq(v: impl Into<Value>) -> Pred {
    Pred::Eq(v.into())
}
/// `!= v`.
pub fn ne(v: impl Into<Value>) -> Pred {
    Pred::Ne(v.into())
}
/// Starts with `s`.
pub fn prefix(s: impl Into<String>) -> Pred {
    Pred::Prefix(s.into())
}
/// Ends with `s`.
pub fn suffix(s: impl Into<String>) -> Pred {
    Pred::Suffix(s.into())
}
/// Contains `s`.
pub fn contains(s: impl Into<String>) -> Pred {
    Pred::Contains(s.into())
}
/// Matches the regular expression `re` (panics on a bad expression: it is a test's own text).
pub fn regex(re: &str) -> Pred {
    Pred::Regex(Regex::new(re).unwrap_or_else(|e| panic!("bad regex {re:?}: {e}")))
}
/// `> n`.
pub fn gt(n: i64) -> Pred {
    Pred::Gt(n as i128)
}
/// `>= n`.
pub fn ge(n: i64) -> Pred {
    Pred::Ge(n as i128)
}
/// `< n`.
pub fn lt(n: i64) -> Pred {
    Pred::Lt(n as i128)
}
/// `<= n`.
pub fn le(n: i64) -> Pred {
    Pred::Le(n as i128)
}
/// Any non-null value.
pub fn present() -> Pred {
    Pred::Present
}
/// Null or absent.
pub fn absent() -> Pred {
    Pred::Absent
}
/// One of the values.
pub fn one_of<V: Into<Value>>(vals: impl IntoIterator<Item = V>) -> Pred {
    Pred::AnyOf(vals.into_iter().map(|v| Pred::Eq(v.into())).collect())
}

fn as_int(v: &Value) -> Option<i128> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .map(|x| x as i128)
            .or_else(|| n.as_u64().map(|x| x as i128)),
        Value::String(s) => s.parse::<i128>().ok(),
        _ => None,
    }
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn values_equal(a: &Value, b: &Value) -> bool {
    if a == b {
        return true;
    }
    match (as_int(a), as_int(b)) {
        (Some(x), Some(y)) => x == y,
        _ => {
            matches!(
                (a, b),
                (Value::String(_), Value::Number(_)) | (Value::Number(_), Value::String(_))
            ) && as_text(a) == as_text(b)
        }
    }
}

impl Pred {
    /// Whether `v` (None = the key is absent) satisfies the predicate.
    pub fn test(&self, v: Option<&Value>) -> bool {
        let v_nn = v.filter(|v| !v.is_null());
        match self {
            Pred::Eq(want) => v.is_some_and(|v| values_equal(v, want)),
            Pred::Ne(want) => !v.is_some_and(|v| values_equal(v, want)),
            Pred::Prefix(p) => v_nn
                .and_then(as_text)
                .is_some_and(|s| s.starts_with(p.as_str())),
            Pred::Suffix(p) => v_nn
                .and_then(as_text)
                .is_some_and(|s| s.ends_with(p.as_str())),
            Pred::Contains(p) => v_nn
                .and_then(as_text)
                .is_some_and(|s| s.contains(p.as_str())),
            Pred::Regex(r) => v_nn.and_then(as_text).is_some_and(|s| r.is_match(&s)),
            Pred::Gt(n) => v_nn.and_then(as_int).is_some_and(|x| x > *n),
            Pred::Ge(n) => v_nn.and_then(as_int).is_some_and(|x| x >= *n),
            Pred::Lt(n) => v_nn.and_then(as_int).is_some_and(|x| x < *n),
            Pred::Le(n) => v_nn.and_then(as_int).is_some_and(|x| x <= *n),
            Pred::Present => v_nn.is_some(),
            Pred::Absent => v_nn.is_none(),
            Pred::All(ps) => ps.iter().all(|p| p.test(v)),
            Pred::AnyOf(ps) => ps.iter().any(|p| p.test(v)),
        }
    }
}

impl fmt::Display for Pred {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pred::Eq(v) => write!(f, "== {v}"),
            Pred::Ne(v) => write!(f, "!= {v}"),
            Pred::Prefix(s) => write!(f, "starts with {s:?}"),
            Pred::Suffix(s) => write!(f, "ends with {s:?}"),
            Pred::Contains(s) => write!(f, "contains {s:?}"),
            Pred::Regex(r) => write!(f, "matches /{}/", r.as_str()),
            Pred::Gt(n) => write!(f, "> {n}"),
            Pred::Ge(n) => write!(f, ">= {n}"),
            Pred::Lt(n) => write!(f, "< {n}"),
            Pred::Le(n) => write!(f, "<= {n}"),
            Pred::Present => write!(f, "is present"),
            Pred::Absent => write!(f, "is absent"),
            Pred::All(ps) => write!(
                f,
                "({})",
                ps.iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
            Pred::AnyOf(ps) => write!(
                f,
                "({})",
                ps.iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        }
    }
}

/// The keys [`lookup`] reads from the event itself rather than from an extracted field.
pub const HEADER_KEYS: &[&str] = &[
    "evt.type",
    "evt.dir",
    "evt.num",
    "thread.tid",
    "evt.cpu",
    "evt.nparams",
];

/// Reads the value of `key` from an event: header keys, `param.<name>` raw parameters, else the
/// extracted sinsp field of that name. None when the event does not carry the key.
pub fn lookup(ev: &Event, key: &str) -> Option<Value> {
    match key {
        "evt.type" => return Some(Value::from(ev.name)),
        "evt.dir" => return Some(Value::from(ev.direction.as_str())),
        "evt.num" => return Some(Value::from(ev.num)),
        "thread.tid" => return Some(Value::from(ev.tid)),
        "evt.cpu" => return Some(Value::from(ev.cpu)),
        "evt.nparams" => return Some(Value::from(ev.params.len())),
        _ => {}
    }
    if let Some(p) = key.strip_prefix("param.") {
        return ev
            .param(p)
            .map(|v| serde_json::to_value(v).unwrap_or(Value::Null));
    }
    ev.field(key)
        .map(|v| serde_json::to_value(v).unwrap_or(Value::Null))
}

/// A named event matcher: every predicate must hold.
#[derive(Clone, Debug)]
pub struct EventMatcher {
    name: String,
    preds: Vec<(String, Pred)>,
    /// The direction follows the event table: see [`EventMatcher::call`].
    call: bool,
    /// A whole call ([`syscall`]): expands to every event of the call this libs emits.
    whole: bool,
    /// Params deliberately not asserted, with the reason in a word.
    unchecked: Vec<(String, String)>,
    /// After expansion: the table entry (`ppm_event_code`) this matcher asserts in full.
    table_code: Option<u16>,
    /// Known driver differences: a key whose predicates fail may instead satisfy the
    /// alternative (key, alternative, why); a match that needs one is reported as a difference.
    allowed: Vec<(String, Pred, String)>,
}

/// Starts a matcher; `name` appears in every failure message.
pub fn event(name: impl Into<String>) -> EventMatcher {
    EventMatcher {
        name: name.into(),
        preds: Vec::new(),
        call: false,
        whole: false,
        unchecked: Vec::new(),
        table_code: None,
        allowed: Vec::new(),
    }
}

/// The whole call `ty` by process `pid`, asserted like libs' drivers_test asserts a syscall:
/// every event of the call this libs emits (enter and exit up to 0.21, the exit event alone
/// from 0.22), each with every param of its event-table entry that the matcher names, and the
/// param count of that entry. Name every param of the call by value ([`EventMatcher::param`],
/// [`EventMatcher::flags`]) or say why not ([`EventMatcher::unchecked`]); `sinspqa coverage`
/// shows what is left. A param named here that this libs' events of the call lack is ignored
/// (other versions have it); a name no event of the call has in any version is a harness defect
/// (a unit test checks the scenarios).
pub fn syscall(name: impl Into<String>, ty: &str, pid: i64) -> EventMatcher {
    let mut m = event(name).ty(ty).field("proc.pid", eq(pid));
    m.whole = true;
    m
}

impl EventMatcher {
    /// `evt.type == ty`.
    pub fn ty(self, ty: &str) -> Self {
        self.field("evt.type", eq(ty))
    }
    /// The exit event (`evt.dir == "<"`).
    pub fn exit(self) -> Self {
        self.field("evt.dir", eq("<"))
    }
    /// The enter event (`evt.dir == ">"`).
    pub fn enter(self) -> Self {
        self.field("evt.dir", eq(">"))
    }
    /// The event of the call (set with [`EventMatcher::ty`] first) that carries the params this
    /// matcher names, whichever direction that is in this libs' event table: "the mmap call
    /// carries addr and length" matches mmap's enter event on libs 0.20 and its exit event from
    /// 0.22, which moved the enter params into the exit events. Each later
    /// [`EventMatcher::param`] re-resolves it; a call no event of which carries them all matches
    /// nothing, and its failure says so.
    pub fn call(mut self) -> Self {
        self.call = true;
        self.resolve_call();
        self
    }
    fn pred_text(&self, key: &str) -> Vec<String> {
        self.preds
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, p)| p.to_string())
            .collect()
    }
    fn is_exit(&self) -> bool {
        self.pred_text("evt.dir") == ["== \"<\""]
    }
    /// Both pin the same `evt.type` and `proc.pid`.
    fn same_call(&self, other: &EventMatcher) -> bool {
        !self.event_types().is_empty()
            && self.event_types() == other.event_types()
            && self.pred_text("proc.pid") == other.pred_text("proc.pid")
    }
    fn resolve_call(&mut self) {
        if !self.call {
            return;
        }
        self.preds.retain(|(k, _)| k != "evt.dir");
        let ty = self.event_types().into_iter().next().unwrap_or_default();
        let params: Vec<&str> = self
            .preds
            .iter()
            .filter_map(|(k, _)| k.strip_prefix("param."))
            .collect();
        let dir = match crate::event::carrier(&ty, &params) {
            Some(d) => d.as_str().to_string(),
            None => format!("(no {ty} event of this libs carries {})", params.join(", ")),
        };
        self.preds.push(("evt.dir".into(), eq(dir)));
    }
    /// The flags param `param` equals the bitwise or of the named flags of this libs' table
    /// (`O_RDWR`, `O_CREAT`, ... as libs names them); for an enum-flags param, the one value.
    /// A flag this libs does not know makes a predicate that fails saying so.
    pub fn flags(self, param: &str, names: &[&str]) -> Self {
        let ty = self.event_types().into_iter().next().unwrap_or_default();
        let p = match crate::event::flag_value(&ty, param, names) {
            Ok(v) => eq(v),
            Err(e) => Pred::Eq(Value::String(format!("<harness: {e}>"))),
        };
        self.param(param, p)
    }
    /// A param of the call deliberately not asserted, with the reason in a word or two
    /// ("time", "kernel address"); [`crate::coverage`] counts it as marked, not missing.
    pub fn unchecked(mut self, param: &str, reason: &str) -> Self {
        self.unchecked.push((param.to_string(), reason.to_string()));
        self
    }
    /// Params marked [`EventMatcher::unchecked`], with their reasons.
    pub fn unchecked_params(&self) -> &[(String, String)] {
        &self.unchecked
    }
    /// The event-table entry this matcher asserts in full (a [`syscall`] matcher after a
    /// check expanded it), if any.
    pub fn table_code(&self) -> Option<u16> {
        self.table_code
    }
    /// The predicates on raw params, by param name.
    pub fn param_preds(&self) -> impl Iterator<Item = (&str, &Pred)> {
        self.preds
            .iter()
            .filter_map(|(k, p)| k.strip_prefix("param.").map(|n| (n, p)))
    }
    /// The direction this matcher pins (`>` or `<`), if it pins one.
    pub fn direction(&self) -> Option<String> {
        self.pinned_strings("evt.dir").into_iter().next()
    }
    /// The strings `key` must equal, one per `eq` predicate on it.
    fn pinned_strings(&self, key: &str) -> Vec<String> {
        self.preds
            .iter()
            .filter(|(k, _)| k == key)
            .filter_map(|(_, p)| match p {
                Pred::Eq(Value::String(s)) => Some(s.clone()),
                _ => None,
            })
            .collect()
    }
    /// `proc.pid == pid`.
    pub fn pid(self, pid: u32) -> Self {
        self.field("proc.pid", eq(pid))
    }
    /// A predicate on a sinsp field or header key.
    pub fn field(mut self, key: &str, p: Pred) -> Self {
        self.preds.push((key.to_string(), p));
        self
    }
    /// A predicate on a raw parameter (`fd`, `res`, `name`, ...).
    pub fn param(mut self, name: &str, p: Pred) -> Self {
        self.preds.push((format!("param.{name}"), p));
        self.resolve_call();
        self
    }
    /// The matcher's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The keys it looks at.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.preds.iter().map(|(k, _)| k.as_str())
    }
    /// The `evt.type` values this matcher requires, if it pins one.
    pub fn event_types(&self) -> Vec<String> {
        self.pinned_strings("evt.type")
    }
    /// Whether the matcher pins an event type that `ev` is not.
    fn other_type(&self, ev: &Event) -> bool {
        self.preds.iter().any(|(k, p)| {
            k == "evt.type" && matches!(p, Pred::Eq(Value::String(s)) if s != ev.name)
        })
    }
    /// How many predicates `ev` satisfies.
    pub fn score(&self, ev: &Event) -> usize {
        self.preds
            .iter()
            .filter(|(k, p)| p.test(lookup(ev, k).as_ref()))
            .count()
    }
    /// Whether `ev` satisfies every predicate, or, for a key with an allowed known difference
    /// ([`EventMatcher::allow`]), its alternative.
    pub fn matches(&self, ev: &Event) -> bool {
        if self.allowed.is_empty() {
            return self.matches_strictly(ev);
        }
        self.preds.iter().all(|(k, p)| {
            let v = lookup(ev, k);
            p.test(v.as_ref())
                || self
                    .allowed
                    .iter()
                    .any(|(k2, alt, _)| k2 == k && alt.test(v.as_ref()))
        })
    }
    /// Whether `ev` satisfies every predicate, known differences not allowed.
    pub fn matches_strictly(&self, ev: &Event) -> bool {
        self.preds
            .iter()
            .all(|(k, p)| p.test(lookup(ev, k).as_ref()))
    }
    /// Allows a known driver difference: `key` may satisfy `alt` instead of its predicates
    /// (`why` says which driver does what). A match that needs it is reported in
    /// [`Outcome::differences`], every other predicate still asserted.
    pub fn allow(mut self, key: &str, alt: Pred, why: &str) -> Self {
        self.allowed.push((key.to_string(), alt, why.to_string()));
        self
    }
    /// The predicates on `key`.
    pub fn preds_on<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Pred> + 'a {
        self.preds
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, p)| p)
    }
    /// Whether a known difference is allowed on `key`.
    pub fn allows(&self, key: &str) -> bool {
        self.allowed.iter().any(|(k, _, _)| k == key)
    }
    /// What a match of `ev` owes to allowed differences: the keys that failed their own
    /// predicates, with each one's value and reason.
    fn differences(&self, ev: &Event) -> Vec<String> {
        let mut out = Vec::new();
        for (k, _, why) in &self.allowed {
            let v = lookup(ev, k);
            if self
                .preds
                .iter()
                .any(|(k2, p)| k2 == k && !p.test(v.as_ref()))
            {
                let shown = v
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "<absent>".into());
                out.push(format!(
                    "{:?} evt.num={}: {k}={shown} ({why})",
                    self.name, ev.num
                ));
            }
        }
        out
    }
    fn describe(&self) -> String {
        self.preds
            .iter()
            .map(|(k, p)| format!("{k} {p}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
    /// `ev` projected onto this matcher's keys, failing keys marked.
    fn project(&self, ev: &Event) -> String {
        let mut seen = BTreeSet::new();
        let mut parts = vec![format!("evt.num={}", ev.num)];
        for (k, p) in &self.preds {
            if !seen.insert(k.as_str()) {
                continue;
            }
            let v = lookup(ev, k);
            let shown = v
                .as_ref()
                .map(|v| v.to_string())
                .unwrap_or_else(|| "<absent>".into());
            let ok = self
                .preds
                .iter()
                .filter(|(k2, _)| k2 == k)
                .all(|(_, p2)| p2.test(v.as_ref()));
            let _ = p;
            parts.push(if ok {
                format!("{k}={shown}")
            } else {
                format!("{k}={shown} ✗")
            });
        }
        parts.join(" ")
    }
}

/// How a check combines its matchers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// In the given order; other events may come in between.
    Sequence,
    /// Each at least once, in any order.
    AllOf,
    /// None of them may appear.
    NoneOf,
}

/// A check: matchers and how they combine.
#[derive(Clone, Debug)]
pub struct Check {
    mode: Mode,
    matchers: Vec<EventMatcher>,
}

/// The matchers must match in this order (gaps allowed).
pub fn sequence(ms: impl IntoIterator<Item = EventMatcher>) -> Check {
    Check {
        mode: Mode::Sequence,
        matchers: merge_calls(expand(ms)),
    }
}
/// Every matcher must match some event, in any order.
pub fn all_of(ms: impl IntoIterator<Item = EventMatcher>) -> Check {
    Check {
        mode: Mode::AllOf,
        matchers: merge_calls(expand(ms)),
    }
}

/// Expands each [`syscall`] matcher into one matcher per event of the call this libs emits
/// (enter before exit), each with the params of its table entry and the entry's param count.
fn expand(ms: impl IntoIterator<Item = EventMatcher>) -> Vec<EventMatcher> {
    use crate::event::{current_events, exits_carry_enter_params, Direction};
    let mut out = Vec::new();
    for m in ms {
        if !m.whole {
            out.push(m);
            continue;
        }
        let ty = m.event_types().into_iter().next().unwrap_or_default();
        let table_name = if current_events(&ty).next().is_none() {
            "syscall".to_string()
        } else {
            ty.clone()
        };
        let only_exit = exits_carry_enter_params();
        let mut entries: Vec<_> = Vec::new();
        for d in [Direction::Enter, Direction::Exit] {
            if d == Direction::Enter && only_exit {
                continue;
            }
            // The newest current entry of that direction.
            if let Some(e) = current_events(&table_name)
                .filter(|e| e.direction == d)
                .max_by_key(|e| e.code)
            {
                entries.push(e);
            }
        }
        if entries.is_empty() {
            let mut x = m.clone();
            x.whole = false;
            x.preds.push((
                "evt.dir".into(),
                eq(format!("(no current {ty} event in this libs)")),
            ));
            out.push(x);
            continue;
        }
        for e in entries {
            let mut x = EventMatcher {
                name: match e.direction {
                    Direction::Enter => format!("{} (enter)", m.name),
                    Direction::Exit => m.name.clone(),
                },
                // The call's identity on every event; derived fields (state after the call)
                // on the exit event only.
                preds: m
                    .preds
                    .iter()
                    .filter(|(k, _)| {
                        !k.starts_with("param.")
                            && (e.direction == Direction::Exit
                                || matches!(k.as_str(), "evt.type" | "proc.pid" | "thread.tid"))
                    })
                    .cloned()
                    .collect(),
                call: false,
                whole: false,
                unchecked: Vec::new(),
                table_code: Some(e.code),
                allowed: Vec::new(),
            };
            x.preds.push(("evt.dir".into(), eq(e.direction.as_str())));
            for p in &e.params {
                let key = format!("param.{}", p.name);
                x.preds
                    .extend(m.preds.iter().filter(|(k, _)| *k == key).cloned());
                x.unchecked
                    .extend(m.unchecked.iter().filter(|(n, _)| n == p.name).cloned());
            }
            x.preds.push(("evt.nparams".into(), eq(e.params.len())));
            out.push(x);
        }
    }
    out
}

/// A call matcher ([`EventMatcher::call`]) that this libs' table puts in the exit event, followed
/// by the exit matcher of the same call (same `evt.type`, same `proc.pid`) becomes one matcher
/// of both: where libs emits one event per call ("setuid(65534)" and "setuid returns 0" are one
/// setuid exit event from libs 0.22 on) both describe that event, and two matchers would wait for
/// a second one. Where the call is an enter event, both stay.
fn merge_calls(ms: impl IntoIterator<Item = EventMatcher>) -> Vec<EventMatcher> {
    let mut out: Vec<EventMatcher> = Vec::new();
    for m in ms {
        if let Some(prev) = out.last_mut() {
            if prev.call && !m.call && prev.is_exit() && m.is_exit() && prev.same_call(&m) {
                prev.name = format!("{}; {}", prev.name, m.name);
                for (k, p) in m.preds {
                    if !prev
                        .preds
                        .iter()
                        .any(|(k2, p2)| *k2 == k && p2.to_string() == p.to_string())
                    {
                        prev.preds.push((k, p));
                    }
                }
                prev.call = false;
                continue;
            }
        }
        out.push(m);
    }
    out
}
/// No event may match any of the matchers (checked over every event consumed).
pub fn none_of(ms: impl IntoIterator<Item = EventMatcher>) -> Check {
    Check {
        mode: Mode::NoneOf,
        matchers: expand(ms),
    }
}

impl Check {
    /// The matchers of the check.
    pub fn matchers(&self) -> &[EventMatcher] {
        &self.matchers
    }
    /// How the matchers combine.
    pub fn mode(&self) -> Mode {
        self.mode
    }
}

const NEAREST: usize = 3;

/// Progress of one check over the events fed so far.
struct State {
    check: Check,
    /// Sequence: index of the next matcher; AllOf: matched flags.
    next: usize,
    matched: Vec<Option<u64>>,
    /// NoneOf: the offending events.
    violations: Vec<(usize, String)>,
    /// Per matcher: the best partial matches (score, projection), best first.
    nearest: Vec<Vec<(usize, u64, String)>>,
    /// Matches that needed an allowed known difference.
    differences: Vec<String>,
}

impl State {
    fn new(check: Check) -> Self {
        let n = check.matchers.len();
        State {
            check,
            next: 0,
            matched: vec![None; n],
            violations: Vec::new(),
            nearest: vec![Vec::new(); n],
            differences: Vec::new(),
        }
    }

    fn satisfied(&self) -> bool {
        match self.check.mode {
            Mode::Sequence => self.next == self.check.matchers.len(),
            Mode::AllOf => self.matched.iter().all(Option::is_some),
            Mode::NoneOf => true,
        }
    }

    fn remember(&mut self, i: usize, ev: &Event) {
        let m = &self.check.matchers[i];
        // Scoring reads every key of the matcher: once three candidates are kept, an event of
        // another type than the matcher's is not scored (a live consumer must keep up).
        if self.nearest[i].len() == NEAREST && m.other_type(ev) {
            return;
        }
        let score = m.score(ev);
        if score == 0 {
            return;
        }
        let near = &mut self.nearest[i];
        if near.len() == NEAREST && near.last().is_some_and(|(s, _, _)| *s >= score) {
            return;
        }
        near.push((score, ev.num, m.project(ev)));
        // Best score first; among equals the latest event first.
        near.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
        near.truncate(NEAREST);
    }

    fn note_differences(&mut self, i: usize, ev: &Event) {
        let m = &self.check.matchers[i];
        if !m.allowed.is_empty() {
            self.differences.extend(m.differences(ev));
        }
    }

    fn feed(&mut self, ev: &Event) {
        match self.check.mode {
            Mode::Sequence => {
                if self.next < self.check.matchers.len() {
                    let i = self.next;
                    if self.check.matchers[i].matches(ev) {
                        self.matched[i] = Some(ev.num);
                        self.next += 1;
                        self.note_differences(i, ev);
                    } else {
                        self.remember(i, ev);
                    }
                }
            }
            Mode::AllOf => {
                for i in 0..self.check.matchers.len() {
                    if self.matched[i].is_some() {
                        continue;
                    }
                    if self.check.matchers[i].matches(ev) {
                        self.matched[i] = Some(ev.num);
                        self.note_differences(i, ev);
                    } else {
                        self.remember(i, ev);
                    }
                }
            }
            Mode::NoneOf => {
                for (i, m) in self.check.matchers.iter().enumerate() {
                    if m.matches(ev) && self.violations.len() < 10 {
                        self.violations.push((i, m.project(ev)));
                    }
                }
            }
        }
    }

    fn report(&self, out: &mut String) {
        use std::fmt::Write;
        let mode = match self.check.mode {
            Mode::Sequence => "sequence",
            Mode::AllOf => "all_of",
            Mode::NoneOf => "none_of",
        };
        if self.check.mode == Mode::NoneOf {
            for (i, proj) in &self.violations {
                let m = &self.check.matchers[*i];
                let _ = writeln!(
                    out,
                    "  ✗ {mode}: matcher {:?} ({}) matched an event it must not:",
                    m.name,
                    m.describe()
                );
                let _ = writeln!(out, "      {proj}");
            }
            return;
        }
        for (i, m) in self.check.matchers.iter().enumerate() {
            if self.matched[i].is_some() {
                let _ = writeln!(
                    out,
                    "  ✓ {mode}[{i}] {:?} matched evt.num={}",
                    m.name,
                    self.matched[i].unwrap()
                );
                continue;
            }
            if self.check.mode == Mode::Sequence && i > self.next {
                let _ = writeln!(out, "  · {mode}[{i}] {:?} not reached", m.name);
                continue;
            }
            let _ = writeln!(
                out,
                "  ✗ {mode}[{i}] {:?} unmatched; wanted: {}",
                m.name,
                m.describe()
            );
            if self.nearest[i].is_empty() {
                let _ = writeln!(out, "      no event matched any of its predicates");
            } else {
                let _ = writeln!(out, "      nearest events (best partial match first):");
                for (score, _, proj) in &self.nearest[i] {
                    let _ = writeln!(out, "      {score}/{} {proj}", m.preds.len());
                }
            }
        }
    }
}

/// Why an expectation failed: a self-explaining report.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The report text (matchers, wanted predicates, nearest events).
    pub report: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.report)
    }
}

impl std::error::Error for Failure {}

/// What a passing expectation observed.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Events consumed.
    pub events_seen: u64,
    /// Time until satisfied.
    pub elapsed: Duration,
    /// The allowed known differences the events showed (matcher, key, value seen, why); empty
    /// when every predicate held as written.
    pub differences: Vec<String>,
}

/// A set of checks that must all hold.
#[derive(Clone, Debug)]
pub struct Expectation {
    checks: Vec<Check>,
}

impl Expectation {
    /// All `checks` must hold.
    pub fn new(checks: Vec<Check>) -> Self {
        Expectation { checks }
    }

    /// Every check.
    pub fn checks(&self) -> &[Check] {
        &self.checks
    }

    /// The distinct event types the positive checks assert.
    pub fn asserted_event_types(&self) -> BTreeSet<String> {
        self.checks
            .iter()
            .filter(|c| c.mode != Mode::NoneOf)
            .flat_map(|c| c.matchers.iter().flat_map(|m| m.event_types()))
            .collect()
    }

    /// The event types a capture must deliver for this expectation to be decided: those of every
    /// check, absence checks included (an event type the kernel is not asked for would make an
    /// absence check hold vacuously). None when a positive matcher pins no event type (then
    /// any event may be the one it wants). An absence matcher that pins no type (`proc.pid` is
    /// never 1) is judged on every event the capture delivers for the process, whichever
    /// types were selected, and adds none.
    pub fn needed_event_types(&self) -> Option<BTreeSet<String>> {
        let mut out = BTreeSet::new();
        for c in &self.checks {
            for m in &c.matchers {
                let tys = m.event_types();
                if tys.is_empty() && c.mode != Mode::NoneOf {
                    return None;
                }
                out.extend(tys);
            }
        }
        Some(out)
    }

    /// Every key the matchers read (so the capture extracts those fields).
    pub fn keys(&self) -> BTreeSet<String> {
        self.checks
            .iter()
            .flat_map(|c| c.matchers.iter().flat_map(|m| m.keys().map(String::from)))
            .collect()
    }

    /// Allows a known driver difference on every matcher `applies` selects: `key` may satisfy
    /// `alt` instead (see [`EventMatcher::allow`]). Returns how many matchers it applies to.
    pub fn allow_where(
        &mut self,
        applies: impl Fn(&EventMatcher) -> bool,
        key: &str,
        alt: &Pred,
        why: &str,
    ) -> usize {
        let mut n = 0;
        for c in &mut self.checks {
            if c.mode == Mode::NoneOf {
                continue;
            }
            for m in &mut c.matchers {
                if applies(m) && m.keys().any(|k| k == key) {
                    let taken = std::mem::replace(m, event(""));
                    *m = taken.allow(key, alt.clone(), why);
                    n += 1;
                }
            }
        }
        n
    }

    /// Checks a finished list of events (e.g. a whole replay).
    pub fn check_events(&self, events: &[Event]) -> Result<Outcome, Failure> {
        let start = Instant::now();
        let mut states: Vec<State> = self.checks.iter().cloned().map(State::new).collect();
        for ev in events {
            states.iter_mut().for_each(|s| s.feed(ev));
        }
        finish(&states, events.len() as u64, start.elapsed(), true)
    }

    /// Whether some check says an event must not appear (then a live run waits a little after
    /// the positive checks hold).
    pub fn has_absence_checks(&self) -> bool {
        self.checks.iter().any(|c| c.mode == Mode::NoneOf)
    }

    /// Consumes events from `rx` until every positive check holds (then, to catch events that
    /// must not appear, keeps consuming for `settle`), or until no event came for `timeout` (at
    /// most six timeouts in all, however the events flow), or until the channel disconnects.
    /// Every event consumed is also passed to `on_event` (to validate or record it).
    pub fn run(
        &self,
        rx: &crate::capture::Events,
        timeout: Duration,
        settle: Duration,
        on_event: impl FnMut(&Event),
    ) -> Result<Outcome, Failure> {
        self.run_filtered(rx, timeout, settle, |_| true, on_event)
    }

    /// [`Expectation::run`] on the events `keep` accepts (the others are consumed and dropped:
    /// a capture shared by several scenarios run one after the other).
    pub fn run_filtered(
        &self,
        rx: &crate::capture::Events,
        timeout: Duration,
        settle: Duration,
        mut keep: impl FnMut(&Event) -> bool,
        mut on_event: impl FnMut(&Event),
    ) -> Result<Outcome, Failure> {
        let start = Instant::now();
        // `timeout` is a time without events: a capture still draining a backlog (a slow
        // guest, a capture shared by several scenarios) makes progress and is given more time,
        // up to `MAX_TIMEOUTS` timeouts in all.
        const MAX_TIMEOUTS: u32 = 6;
        let cap = start + timeout * MAX_TIMEOUTS;
        let mut deadline = start + timeout;
        let mut states: Vec<State> = self.checks.iter().cloned().map(State::new).collect();
        let mut seen = 0u64;
        let mut settle_until: Option<Instant> = None;
        let mut disconnected = false;
        loop {
            let now = Instant::now();
            let until = settle_until.unwrap_or(deadline).min(deadline);
            if now >= until {
                break;
            }
            match rx.recv_timeout(until - now) {
                Ok(ev) => {
                    deadline = deadline.max((Instant::now() + timeout).min(cap));
                    if !keep(&ev) {
                        continue;
                    }
                    seen += 1;
                    on_event(&ev);
                    states.iter_mut().for_each(|s| s.feed(&ev));
                    if settle_until.is_none() && states.iter().all(State::satisfied) {
                        settle_until = Some(Instant::now() + settle);
                    }
                }
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => {
                    disconnected = true;
                    break;
                }
            }
        }
        let _ = disconnected;
        finish(&states, seen, start.elapsed(), false)
    }
}

fn finish(states: &[State], seen: u64, elapsed: Duration, whole: bool) -> Result<Outcome, Failure> {
    let ok = states
        .iter()
        .all(|s| s.satisfied() && s.violations.is_empty());
    if ok {
        return Ok(Outcome {
            events_seen: seen,
            elapsed,
            differences: states
                .iter()
                .flat_map(|s| s.differences.iter().cloned())
                .collect(),
        });
    }
    let mut report = format!(
        "expectation failed after {:.1} s, {seen} events {}:\n",
        elapsed.as_secs_f64(),
        if whole { "checked" } else { "consumed" }
    );
    for s in states {
        s.report(&mut report);
    }
    Err(Failure { report })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Direction, FieldValue, Param, ParamValue};
    use std::sync::Arc;

    fn ev(num: u64, ty: &'static str, dir: Direction, pid: i64, fd_name: &str, res: i64) -> Event {
        Event {
            num,
            ts: num * 1000,
            tid: pid,
            cpu: 0,
            code: 0,
            name: ty,
            direction: dir,
            category: 0,
            is_main_thread: true,
            params: vec![Param {
                name: "res",
                ptype: crate::ffi::abi::PT_ERRNO,
                value: ParamValue::Int(res),
            }],
            field_names: Arc::from(vec!["proc.pid".to_string(), "fd.name".to_string()]),
            field_values: vec![FieldValue::I64(pid), FieldValue::Str(fd_name.into())],
        }
    }

    fn stream() -> Vec<Event> {
        vec![
            ev(1, "openat", Direction::Enter, 42, "", 0),
            ev(2, "openat", Direction::Exit, 42, "/tmp/a", 3),
            ev(3, "read", Direction::Exit, 42, "/tmp/a", 10),
            ev(4, "openat", Direction::Exit, 7, "/etc/shadow", 4),
            ev(5, "close", Direction::Exit, 42, "/tmp/a", 0),
        ]
    }

    #[test]
    fn the_needed_event_types_include_absence_checks_and_need_a_pinned_type() {
        let exp = Expectation::new(vec![
            sequence([syscall("open a", "openat", 7).exit()]),
            none_of([syscall("no unlink", "unlinkat", 7)]),
        ]);
        assert_eq!(
            exp.needed_event_types(),
            Some(["openat".to_string(), "unlinkat".to_string()].into())
        );
        let vague = Expectation::new(vec![all_of([event("anything").pid(7)])]);
        assert_eq!(vague.needed_event_types(), None);
        let untyped_absence = Expectation::new(vec![
            sequence([syscall("open a", "openat", 7).exit()]),
            none_of([event("pid 1 never").pid(1)]),
        ]);
        assert_eq!(
            untyped_absence.needed_event_types(),
            Some(["openat".to_string()].into())
        );
    }

    #[test]
    fn an_allowed_difference_passes_says_so_and_allows_nothing_else() {
        let want = |res: i64| {
            event("the read")
                .ty("read")
                .exit()
                .param("res", eq(res))
                .field("fd.name", eq("/tmp/a"))
        };
        let mut exp = Expectation::new(vec![sequence([want(11)])]);
        // As written, the read (res 10) does not match.
        assert!(exp.check_events(&stream()).is_err());
        let the_read = |m: &EventMatcher| m.name() == "the read";
        assert_eq!(
            exp.allow_where(the_read, "param.res", &eq(10), "a driver says 10"),
            1
        );
        let o = exp.check_events(&stream()).expect("allowed");
        assert_eq!(o.differences.len(), 1, "{:?}", o.differences);
        assert!(o.differences[0].contains("param.res=10 (a driver says 10)"));
        // A match as written owes nothing to the allowance.
        let mut exact = Expectation::new(vec![sequence([want(10)])]);
        exact.allow_where(the_read, "param.res", &eq(99), "never seen");
        assert!(exact
            .check_events(&stream())
            .unwrap()
            .differences
            .is_empty());
        // The other predicates still hold: the allowance is on one key.
        let mut other = Expectation::new(vec![sequence([want(11).field("fd.name", eq("/x"))])]);
        other.allow_where(the_read, "param.res", &eq(10), "a driver says 10");
        assert!(other.check_events(&stream()).is_err());
        // Another matcher is not touched.
        assert_eq!(
            exp.allow_where(|m| m.name() == "the write", "param.res", &eq(10), ""),
            0
        );
    }

    #[test]
    fn predicates_compare_like_a_spec_reads() {
        let n = Value::from(3);
        assert!(
            eq(3).test(Some(&n))
                && eq("3").test(Some(&n))
                && ge(3).test(Some(&n))
                && !gt(3).test(Some(&n))
        );
        let s = Value::from("/usr/local/bin/x");
        assert!(prefix("/usr/local/bin").test(Some(&s)) && suffix("/x").test(Some(&s)));
        assert!(regex("^/usr/(local/)?bin/").test(Some(&s)) && !contains("sbin").test(Some(&s)));
        assert!(absent().test(None) && absent().test(Some(&Value::Null)) && !present().test(None));
        assert!(ne("a").test(None) && !eq("a").test(None) && one_of([1, 3]).test(Some(&n)));
    }

    #[test]
    fn sequence_all_of_and_none_of_pass_on_a_matching_stream() {
        let open = event("open")
            .ty("openat")
            .exit()
            .field("proc.pid", eq(42))
            .field("fd.name", eq("/tmp/a"));
        let read = event("read")
            .ty("read")
            .exit()
            .field("proc.pid", eq(42))
            .param("res", gt(0));
        let close = event("close").ty("close").exit().field("proc.pid", eq(42));
        let exp = Expectation::new(vec![
            sequence([open.clone(), read.clone(), close.clone()]),
            all_of([close, open]),
            none_of([event("shadow by 42")
                .field("fd.name", eq("/etc/shadow"))
                .field("proc.pid", eq(42))]),
        ]);
        let o = exp.check_events(&stream()).expect("passes");
        assert_eq!(o.events_seen, 5);
        assert_eq!(
            exp.asserted_event_types().into_iter().collect::<Vec<_>>(),
            ["close", "openat", "read"]
        );
    }

    /// A kill event carrying `params` (name, value) in direction `dir`, by pid 42.
    fn kill(num: u64, dir: Direction, params: &[(&'static str, i64)]) -> Event {
        let mut e = ev(num, "kill", dir, 42, "", 0);
        e.params = params
            .iter()
            .map(|&(name, v)| Param {
                name,
                ptype: crate::ffi::abi::PT_INT64,
                value: ParamValue::Int(v),
            })
            .collect();
        e
    }

    #[test]
    fn a_call_matches_the_event_this_libs_puts_its_params_in() {
        // kill(9, SIGTERM) as this libs' drivers report it: pid and sig in the enter event and
        // res in the exit event up to libs 0.21; one exit event with all three from 0.22.
        let carrier = crate::event::carrier("kill", &["pid", "sig"]).expect("a kill event");
        let stream = if carrier == Direction::Exit {
            vec![kill(
                1,
                Direction::Exit,
                &[("res", 0), ("pid", 9), ("sig", 15)],
            )]
        } else {
            vec![
                kill(1, Direction::Enter, &[("pid", 9), ("sig", 15)]),
                kill(2, Direction::Exit, &[("res", 0)]),
            ]
        };
        let call = || {
            event("kill SIGTERM")
                .ty("kill")
                .field("proc.pid", eq(42))
                .call()
                .param("pid", eq(9))
                .param("sig", eq(15))
        };
        let ret = || {
            event("kill succeeds")
                .ty("kill")
                .exit()
                .field("proc.pid", eq(42))
                .param("res", eq(0))
        };
        let exp = Expectation::new(vec![sequence([call(), ret()])]);
        exp.check_events(&stream).expect("the call and its return");
        // where the call is one event, both matchers describe it: one matcher, not two waits
        let merged = exp.checks()[0].matchers.len();
        assert_eq!(merged, if carrier == Direction::Exit { 1 } else { 2 });
        // the params in the other direction are not the call
        let other = match carrier {
            Direction::Exit => Direction::Enter,
            Direction::Enter => Direction::Exit,
        };
        let wrong = vec![kill(1, other, &[("res", 0), ("pid", 9), ("sig", 15)])];
        let f = Expectation::new(vec![all_of([call()])])
            .check_events(&wrong)
            .unwrap_err();
        assert!(f.report.contains("kill SIGTERM"), "{f}");
    }

    #[test]
    fn a_sequence_out_of_order_fails() {
        let exp = Expectation::new(vec![sequence([
            event("close first").ty("close").field("proc.pid", eq(42)),
            event("then open")
                .ty("openat")
                .exit()
                .field("proc.pid", eq(42)),
        ])]);
        let f = exp.check_events(&stream()).unwrap_err();
        assert!(
            f.report
                .contains("✓ sequence[0] \"close first\" matched evt.num=5"),
            "{f}"
        );
        assert!(
            f.report.contains("✗ sequence[1] \"then open\" unmatched"),
            "{f}"
        );
    }

    #[test]
    fn a_wrong_expectation_fails_with_the_nearest_events() {
        // Deliberately wrong: the file was /tmp/a, not /tmp/b.
        let exp = Expectation::new(vec![all_of([event("open /tmp/b")
            .ty("openat")
            .exit()
            .field("proc.pid", eq(42))
            .field("fd.name", eq("/tmp/b"))])]);
        let f = exp.check_events(&stream()).unwrap_err();
        let r = f.to_string();
        assert!(r.contains("\"open /tmp/b\" unmatched; wanted: evt.type == \"openat\", evt.dir == \"<\", proc.pid == 42, fd.name == \"/tmp/b\""), "{r}");
        let near: Vec<&str> = r
            .lines()
            .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
            .collect();
        // Best partial match first: evt 2 has everything but the name (3/4), marked ✗ on fd.name.
        assert!(
            near[0].contains("3/4 evt.num=2") && near[0].contains("fd.name=\"/tmp/a\" ✗"),
            "{r}"
        );
        assert!(near.len() == 3, "three nearest events expected: {r}");
    }

    #[test]
    fn none_of_reports_the_offending_event() {
        let exp = Expectation::new(vec![none_of([
            event("no shadow").field("fd.name", eq("/etc/shadow"))
        ])]);
        let f = exp.check_events(&stream()).unwrap_err();
        assert!(
            f.report.contains("matcher \"no shadow\"") && f.report.contains("evt.num=4"),
            "{f}"
        );
    }

    #[test]
    fn run_consumes_a_channel_until_satisfied_or_timed_out() {
        let (tx, rx) = crossbeam_channel::bounded(16);
        tx.send(stream().into()).unwrap();
        let rx = crate::capture::Events::new(rx);
        let exp = Expectation::new(vec![all_of([event("read").ty("read")])]);
        let o = exp
            .run(&rx, Duration::from_secs(5), Duration::ZERO, |_| {})
            .unwrap();
        assert_eq!(o.events_seen, 3, "stops once satisfied");
        let exp = Expectation::new(vec![all_of([event("never").ty("execve")])]);
        let t = Instant::now();
        let f = exp
            .run(&rx, Duration::from_millis(200), Duration::ZERO, |_| {})
            .unwrap_err();
        assert!(
            t.elapsed() < Duration::from_secs(2) && f.report.contains("\"never\" unmatched"),
            "{f}"
        );
    }
}

#[cfg(test)]
mod props {
    //! Property tests of the check semantics against a reference model.
    use super::*;
    use crate::event::{Direction, FieldValue, Param, ParamValue};
    use proptest::prelude::*;
    use std::sync::Arc;

    const TYPES: [&str; 3] = ["openat", "read", "close"];

    /// Events from (type index, pid, res) triples.
    fn events(spec: &[(usize, i64, i64)]) -> Vec<Event> {
        spec.iter()
            .enumerate()
            .map(|(i, &(t, pid, res))| Event {
                num: i as u64 + 1,
                ts: 0,
                tid: pid,
                cpu: 0,
                code: 0,
                name: TYPES[t],
                direction: Direction::Exit,
                category: 0,
                is_main_thread: true,
                params: vec![Param {
                    name: "res",
                    ptype: crate::ffi::abi::PT_ERRNO,
                    value: ParamValue::Int(res),
                }],
                field_names: Arc::from(vec!["proc.pid".to_string()]),
                field_values: vec![FieldValue::I64(pid)],
            })
            .collect()
    }

    /// A matcher from (type index, pid or any, res or any).
    fn matcher(&(t, pid, res): &(usize, Option<i64>, Option<i64>)) -> EventMatcher {
        let mut m = event(format!("m{t}")).ty(TYPES[t]);
        if let Some(p) = pid {
            m = m.field("proc.pid", eq(p));
        }
        if let Some(r) = res {
            m = m.param("res", eq(r));
        }
        m
    }

    fn model_matches(m: &(usize, Option<i64>, Option<i64>), e: &(usize, i64, i64)) -> bool {
        m.0 == e.0 && m.1.is_none_or(|p| p == e.1) && m.2.is_none_or(|r| r == e.2)
    }

    fn spec() -> impl Strategy<Value = Vec<(usize, i64, i64)>> {
        proptest::collection::vec((0usize..3, 1i64..3, -1i64..2), 0..30)
    }
    fn matchers() -> impl Strategy<Value = Vec<(usize, Option<i64>, Option<i64>)>> {
        proptest::collection::vec(
            (
                0usize..3,
                proptest::option::of(1i64..3),
                proptest::option::of(-1i64..2),
            ),
            1..5,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 500, failure_persistence: None, ..ProptestConfig::default() })]

        /// sequence holds iff the matchers match events in order (greedy earliest match).
        #[test]
        fn sequence_is_an_ordered_subsequence(evs in spec(), ms in matchers()) {
            let mut next = 0;
            for e in &evs {
                if next < ms.len() && model_matches(&ms[next], e) {
                    next += 1;
                }
            }
            let want = next == ms.len();
            let exp = Expectation::new(vec![sequence(ms.iter().map(matcher))]);
            prop_assert_eq!(exp.check_events(&events(&evs)).is_ok(), want);
        }

        /// all_of holds iff each matcher matches some event, whatever the order.
        #[test]
        fn all_of_is_each_somewhere(evs in spec(), ms in matchers()) {
            let want = ms.iter().all(|m| evs.iter().any(|e| model_matches(m, e)));
            let exp = Expectation::new(vec![all_of(ms.iter().map(matcher))]);
            prop_assert_eq!(exp.check_events(&events(&evs)).is_ok(), want);
        }

        /// none_of holds iff no event matches any matcher; its failure names the offenders.
        #[test]
        fn none_of_is_no_event_matching(evs in spec(), ms in matchers()) {
            let want = !ms.iter().any(|m| evs.iter().any(|e| model_matches(m, e)));
            let exp = Expectation::new(vec![none_of(ms.iter().map(matcher))]);
            let got = exp.check_events(&events(&evs));
            prop_assert_eq!(got.is_ok(), want);
        }

        /// Checks of one expectation are independent: all hold iff each holds alone.
        #[test]
        fn checks_combine_by_and(evs in spec(), a in matchers(), b in matchers()) {
            let evs = events(&evs);
            let one = Expectation::new(vec![sequence(a.iter().map(matcher))]).check_events(&evs).is_ok();
            let two = Expectation::new(vec![none_of(b.iter().map(matcher))]).check_events(&evs).is_ok();
            let both = Expectation::new(vec![
                sequence(a.iter().map(matcher)),
                none_of(b.iter().map(matcher)),
            ])
            .check_events(&evs)
            .is_ok();
            prop_assert_eq!(both, one && two);
        }
    }
}
