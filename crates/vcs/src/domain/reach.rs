//! Which branches reach a commit.
//!
//! A commit is on every branch whose head it is an ancestor of (or is). The sweep works this
//! out for all commits in one walk of the graph: fed children before parents (git's
//! `--topo-order`), a commit's branches are complete when it is reached — the branches whose
//! head it is, plus everything its children carry — and are handed on to its parents. Sets
//! of branches repeat endlessly (most of history is on `main` and `develop` alike), so each
//! distinct set is stored once and named by a number, and unions are remembered.
//!
//! A push knows less: only that its branch reaches the commits it carried. [`Reach`] says
//! which kind of knowledge a commit arrives with.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// What a source knows of the branches that reach a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// A push to these branches (one, or none when the forge named none) carried it: they
    /// reach it now, and others may too.
    Pushed(Vec<String>),
    /// The sweep's answer from the mirror: exactly these and no others; empty when no
    /// branch reaches it any more.
    Exactly(Arc<Vec<String>>),
}

impl Reach {
    /// The stored list (sorted, one name per line) brought up to date by this knowledge.
    pub fn apply(&self, stored: &str) -> String {
        match self {
            Reach::Exactly(names) => names.join("\n"),
            Reach::Pushed(pushed) => {
                let mut all: Vec<&str> = stored
                    .lines()
                    .chain(pushed.iter().map(String::as_str))
                    .filter(|b| !b.is_empty())
                    .collect();
                all.sort_unstable();
                all.dedup();
                all.join("\n")
            }
        }
    }
}

/// A set of branches, by number; see [`BranchReach::names`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BranchSet(u32);

const EMPTY: BranchSet = BranchSet(0);

/// Branch membership computed over a children-first walk; see the module's documentation.
pub struct BranchReach {
    /// Branch number → name, in name order, so sets of numbers list names sorted.
    names: Vec<String>,
    /// Head sha → the set of the branches pointing at it.
    tips: HashMap<String, BranchSet>,
    /// Set number → its branch numbers, ascending. Number 0 is the empty set.
    sets: Vec<Vec<u32>>,
    ids: HashMap<Vec<u32>, BranchSet>,
    unions: HashMap<(BranchSet, BranchSet), BranchSet>,
    named: Vec<Option<Arc<Vec<String>>>>,
    /// What the children seen so far hand to a commit not reached yet.
    pending: HashMap<String, BranchSet>,
}

impl BranchReach {
    /// For the branches `heads` (name → head sha).
    pub fn new(heads: &BTreeMap<String, String>) -> BranchReach {
        let mut reach = BranchReach {
            names: heads.keys().cloned().collect(),
            tips: HashMap::new(),
            sets: vec![Vec::new()],
            ids: HashMap::from([(Vec::new(), EMPTY)]),
            unions: HashMap::new(),
            named: vec![None],
            pending: HashMap::new(),
        };
        let mut by_tip: HashMap<&str, Vec<u32>> = HashMap::new();
        for (number, sha) in heads.values().enumerate() {
            by_tip.entry(sha).or_default().push(number as u32);
        }
        for (sha, numbers) in by_tip {
            let set = reach.intern(numbers);
            reach.tips.insert(sha.to_string(), set);
        }
        reach
    }

    /// The branches that reach `sha`, given its parents. Every child of a commit must have
    /// been visited before it; commits outside the walk (behind its exclusions) are simply
    /// never visited.
    pub fn visit(&mut self, sha: &str, parents: &[String]) -> BranchSet {
        let mut set = self.pending.remove(sha).unwrap_or(EMPTY);
        if let Some(&tip) = self.tips.get(sha) {
            set = self.union(set, tip);
        }
        if set != EMPTY {
            for parent in parents {
                match self.pending.get(parent.as_str()).copied() {
                    Some(known) => {
                        let joined = self.union(known, set);
                        self.pending.insert(parent.clone(), joined);
                    }
                    None => {
                        self.pending.insert(parent.clone(), set);
                    }
                }
            }
        }
        set
    }

    /// The names in `set`, sorted; shared, as the same set comes back for many commits.
    pub fn names(&mut self, set: BranchSet) -> Arc<Vec<String>> {
        let index = set.0 as usize;
        if let Some(named) = &self.named[index] {
            return named.clone();
        }
        let names: Arc<Vec<String>> = Arc::new(
            self.sets[index]
                .iter()
                .map(|&n| self.names[n as usize].clone())
                .collect(),
        );
        self.named[index] = Some(names.clone());
        names
    }

    fn union(&mut self, a: BranchSet, b: BranchSet) -> BranchSet {
        if a == b || b == EMPTY {
            return a;
        }
        if a == EMPTY {
            return b;
        }
        let key = if a.0 < b.0 { (a, b) } else { (b, a) };
        if let Some(&known) = self.unions.get(&key) {
            return known;
        }
        let mut numbers: Vec<u32> = self.sets[a.0 as usize]
            .iter()
            .chain(&self.sets[b.0 as usize])
            .copied()
            .collect();
        numbers.sort_unstable();
        numbers.dedup();
        let joined = self.intern(numbers);
        self.unions.insert(key, joined);
        joined
    }

    fn intern(&mut self, numbers: Vec<u32>) -> BranchSet {
        if let Some(&id) = self.ids.get(&numbers) {
            return id;
        }
        let id = BranchSet(self.sets.len() as u32);
        self.sets.push(numbers.clone());
        self.named.push(None);
        self.ids.insert(numbers, id);
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heads(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(b, s)| (b.to_string(), s.to_string()))
            .collect()
    }

    fn p(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    /// a ← b ← m (the merge of b and t) on main; a ← t on topic and old.
    #[test]
    fn every_branch_that_reaches_a_commit_is_found_in_one_walk() {
        let mut reach = BranchReach::new(&heads(&[("main", "m"), ("topic", "t"), ("old", "t")]));
        // Children first, as `git rev-list --topo-order` gives them.
        let m = reach.visit("m", &p(&["b", "t"]));
        let t = reach.visit("t", &p(&["a"]));
        let b = reach.visit("b", &p(&["a"]));
        let a = reach.visit("a", &p(&[]));
        assert_eq!(*reach.names(m), ["main"]);
        assert_eq!(*reach.names(t), ["main", "old", "topic"]);
        assert_eq!(*reach.names(b), ["main"]);
        assert_eq!(*reach.names(a), ["main", "old", "topic"]);
        assert_eq!(a, t, "the same set is one set");
    }

    #[test]
    fn a_push_adds_its_branch_and_the_sweep_says_exactly() {
        let pushed = Reach::Pushed(p(&["topic"]));
        assert_eq!(pushed.apply("main"), "main\ntopic");
        assert_eq!(pushed.apply("main\ntopic"), "main\ntopic");
        assert_eq!(pushed.apply(""), "topic");
        assert_eq!(Reach::Pushed(Vec::new()).apply("main"), "main");
        let swept = Reach::Exactly(Arc::new(p(&["develop", "main"])));
        assert_eq!(swept.apply("feature\nmain"), "develop\nmain");
        assert_eq!(Reach::Exactly(Arc::new(Vec::new())).apply("main"), "");
    }
}
