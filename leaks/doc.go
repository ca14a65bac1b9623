// Package leaks finds secrets in text with gitleaks' rules: it reads
// gitleaks' configuration format (Parse, Default) and reports what
// gitleaks' detector reports on the same fragment — rule, lines, columns,
// match and secret, after the same allowlists, entropy checks, required
// rules, gitleaks:allow comments and decoding passes (base64, hex,
// percent, unicode escapes) — and Fragments cuts a file where `gitleaks
// dir` cuts it. It imports nothing of forkscan, and of gitleaks only the
// default rule set's text.
//
// It differs from gitleaks' detector in how it gets there, not in what it
// finds:
//
//   - Keywords. gitleaks lowers a copy of each fragment and runs an
//     Aho-Corasick automaton over it; here one automaton over byte classes
//     (A-Z folded onto a-z) reads the fragment itself and also says where
//     each keyword is. A fragment holding a character whose case folds onto
//     an ASCII letter from outside ASCII (the Kelvin sign, the long s, the
//     dotted capital I) is searched as gitleaks searches it.
//   - Rules. gitleaks runs a rule's expression over the whole fragment
//     once a keyword of the rule is in it. Here the expression is tried
//     only where a match can start: the syntax tree proves that every match
//     holds one of the rule's keywords at most so many bytes after its
//     start (shape), so the leftmost match after a point starts near the
//     next keyword hit, and each start there is tried anchored, in order.
//     For gitleaks' common form [\w.-]{0,50}?(KEYWORDS)…, the rest of the
//     expression is tried at the hit and the match's start found by
//     walking back over the run. The matches are those FindAll finds on
//     the whole fragment; a rule whose expression proves nothing runs on
//     the whole fragment, as in gitleaks.
//   - Decoding. gitleaks looks for encoded runs with one regular
//     expression; here a byte scanner finds the same runs.
//   - Compiling. gitleaks compiles every rule when it loads a config; here
//     a rule is compiled when it first runs (Config.Check compiles all).
//
// betterleaks, gitleaks' successor, also filters by keyword without a
// lowered copy, scans for encodings by hand and uses RE2; it runs a rule
// on the whole fragment, where this package tries it only near its
// keywords. All expressions here run on Go's regexp, in linear time.
package leaks
