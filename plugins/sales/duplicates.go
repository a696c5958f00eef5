package sales

import (
	"context"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/platform/errs"
)

// The duplicate rule of the sales app. Leads arrive from many channels, so
// before a lead is saved two checks run, each off, flag or block as the
// tenant's settings say (Settings.Duplicates):
//
//   - another lead with the same email or phone (default: block);
//   - another lead with a similar company and name (default: flag): both
//     equal once normalised (lower case, accents folded, punctuation
//     dropped, legal suffixes such as GmbH, Inc, Ltd removed) or within a
//     small edit distance (MaxDistance, and never more than a quarter of
//     the longer text).
//
// "flag" saves the lead with duplicateOf and duplicateReason set; "block"
// refuses it (422 naming the field) unless the person saving it ticks
// allowDuplicate. The rule looks at every lead, whoever owns it.
//
// Candidates for the similarity check share an indexed duplicateKey: the
// first four letters of the normalised company and the initials of the
// first and last word of the normalised name, so a typo in those letters
// is not found. Each lead keeps its normalised company and name
// (companyKey, nameKey), so candidates are compared without normalising
// them again.
//
// The rule was a package script until version 1.4.0 of the package. Run
// for every lead written, it was most of the cost of a lead create (about
// 1 ms of 1.3 ms in a seed: the JavaScript run, three queries through the
// script API, regular expressions recompiled on each run); as a record hook
// in Go it costs its two indexed queries.

// DuplicateRule returns the record hook that applies the duplicate rule to
// leads. Register it on the record service (records.Service.Use). It acts
// only on objects named lead that have the package's duplicateKey field,
// so tenants without the package are untouched.
func (s *Service) DuplicateRule() records.Hook { return duplicateRule{s} }

type duplicateRule struct{ s *Service }

// After does nothing: the rule decides before the save.
func (duplicateRule) After(context.Context, *records.Event) error { return nil }

// Before checks a lead being created or updated.
func (d duplicateRule) Before(ctx context.Context, ev *records.Event) error {
	if ev.Object.APIName != "lead" || (ev.Op != records.OpCreate && ev.Op != records.OpUpdate) {
		return nil
	}
	if _, ok := ev.Object.Field("duplicateKey"); !ok {
		return nil
	}
	r, old := ev.Record, ev.Old
	renamed := old == nil || !reflect.DeepEqual(old["company"], r["company"]) ||
		!reflect.DeepEqual(old["name"], r["name"]) || !truthy(r["duplicateKey"])
	if renamed {
		setDuplicateKeys(r)
	}
	if truthy(r["mergedInto"]) {
		return nil
	}
	changed := func(f string) bool { return truthy(r[f]) && (old == nil || !reflect.DeepEqual(old[f], r[f])) }
	if !renamed && !changed("email") && !changed("phone") {
		return nil
	}
	set, err := d.s.recentSettings(ctx, ev.Tenant)
	if err != nil {
		return err
	}
	mode := set.Duplicates
	ctx = system(ctx, ev.Principal)
	self := ""
	if id := str(r, "id"); id != "" {
		self = " AND id != " + quote(id)
	}
	var refused *errs.Error
	report := func(mode, field string, other *records.Record, why string) {
		if mode == DupBlock && !truthy(r["allowDuplicate"]) {
			if refused == nil {
				refused = errs.New(errs.Invalid, "lead.duplicate", "the lead duplicates another lead: %s (%s, %s)",
					why, str(other.Data, "name"), other.ID)
			}
			refused = refused.WithField(field, "duplicate", why+" ("+str(other.Data, "name")+", "+other.ID+
				"); tick Allow duplicate to save it anyway")
		} else if !truthy(r["duplicateOf"]) {
			r["duplicateOf"], r["duplicateReason"] = other.ID, why
		}
	}
	if mode.EmailPhone != DupOff {
		var terms []string
		for _, f := range []string{"email", "phone"} {
			if changed(f) {
				terms = append(terms, f+" = "+quote(str(r, f)))
			}
		}
		if len(terms) > 0 {
			found, err := d.others(ctx, "("+strings.Join(terms, " OR ")+")"+self, 1)
			if err != nil {
				return err
			}
			if len(found) > 0 {
				o, f := found[0], "phone"
				if changed("email") && str(o.Data, "email") == str(r, "email") {
					f = "email"
				}
				report(mode.EmailPhone, f, o, "another lead has this "+f)
			}
		}
	}
	if key := str(r, "duplicateKey"); mode.Similar != DupOff && renamed && key != "" {
		found, err := d.others(ctx, "duplicateKey = "+quote(key)+self, maxCandidates)
		if err != nil {
			return err
		}
		company, name := str(r, "companyKey"), str(r, "nameKey")
		for _, o := range found {
			oc, on := str(o.Data, "companyKey"), str(o.Data, "nameKey")
			if oc == "" {
				oc = normalise(str(o.Data, "company"), true)
			}
			if on == "" {
				on = normalise(str(o.Data, "name"), false)
			}
			if similar(company, oc, *mode.MaxDistance) && similar(name, on, *mode.MaxDistance) {
				report(mode.Similar, "company", o, "another lead has a similar company and name")
				break
			}
		}
	}
	if refused != nil {
		return refused
	}
	return nil
}

// maxCandidates bounds the leads one similarity check compares.
const maxCandidates = 200

// others returns up to limit leads matching filter, in id order.
func (d duplicateRule) others(ctx context.Context, filter string, limit int) ([]*records.Record, error) {
	page, err := d.s.recs.List(ctx, "lead", records.ListOptions{Filter: filter, Limit: limit,
		Fields: "id,name,email,phone,company,companyKey,nameKey"})
	if err != nil {
		return nil, err
	}
	return page.Items, nil
}

// setDuplicateKeys sets the rule's keys on a lead from its company and
// name: companyBlock, companyKey, nameKey and duplicateKey (null when the
// company or name is empty).
func setDuplicateKeys(r map[string]any) {
	company, name := normalise(str(r, "company"), true), normalise(str(r, "name"), false)
	var words []string
	if name != "" {
		words = strings.Split(name, " ")
	}
	orNil := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	block := strings.ReplaceAll(company, " ", "")
	if n := 0; block != "" {
		for i := range block {
			if n == 4 {
				block = block[:i]
				break
			}
			n++
		}
	}
	r["companyBlock"], r["companyKey"], r["nameKey"], r["duplicateKey"] = orNil(block), orNil(company), orNil(name), nil
	if block != "" && len(words) > 0 {
		first, _ := utf8.DecodeRuneInString(words[0])
		last, _ := utf8.DecodeRuneInString(words[len(words)-1])
		r["duplicateKey"] = block + "|" + string(first) + string(last)
	}
}

// legalSuffixes are dropped from the end of a normalised company name.
var legalSuffixes = map[string]bool{"gmbh": true, "mbh": true, "ag": true, "kg": true, "ohg": true, "ug": true, "inc": true,
	"incorporated": true, "corp": true, "corporation": true, "co": true, "company": true, "ltd": true, "limited": true,
	"llc": true, "llp": true, "plc": true, "sa": true, "sas": true, "sarl": true, "srl": true, "spa": true, "bv": true,
	"nv": true, "oy": true, "ab": true, "as": true, "pty": true, "kk": true}

// accentFold spells accented Latin letters without their accents.
var accentFold = map[rune]string{'ä': "ae", 'ö': "oe", 'ü': "ue", 'ß': "ss", 'à': "a", 'á': "a", 'â': "a", 'ã': "a",
	'å': "a", 'ç': "c", 'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ì': "i", 'í': "i", 'î': "i", 'ï': "i", 'ñ': "n",
	'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o", 'ø': "o", 'ù': "u", 'ú': "u", 'û': "u", 'ý': "y", 'ÿ': "y"}

// normalise folds case and accents, turns "&" into "and" and every run of
// other ASCII punctuation or spaces into one space; for a company it also
// drops legal suffixes at the end ("Acme Widgets Co. Ltd" -> "acme
// widgets"). Letters outside ASCII (Chinese, Cyrillic…) are kept.
func normalise(s string, company bool) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, c := range strings.ToLower(s) {
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			b.WriteRune(c)
		case c == '&':
			b.WriteString(" and ")
		case c < utf8.RuneSelf:
			b.WriteByte(' ')
		default:
			if f, ok := accentFold[c]; ok {
				b.WriteString(f)
			} else {
				b.WriteRune(c)
			}
		}
	}
	t := strings.TrimFunc(b.String(), unicode.IsSpace)
	var words []string
	for _, w := range strings.Split(t, " ") {
		if w != "" {
			words = append(words, w)
		}
	}
	if company {
		for len(words) > 1 && legalSuffixes[words[len(words)-1]] {
			words = words[:len(words)-1]
		}
	}
	return strings.Join(words, " ")
}

// similar tells whether two normalised texts are within max edits, and
// within a quarter of the longer one's length.
func similar(a, b string, max int) bool {
	if a == "" || b == "" {
		return false
	}
	ra, rb := []rune(a), []rune(b)
	allowed := min(max, max2(len(ra), len(rb))/4)
	return distance(ra, rb, allowed) <= allowed
}

func max2(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// distance is the Levenshtein distance of a and b, or max+1 when it is
// above max: only the band of cells within max of the diagonal is
// computed.
func distance(a, b []rune, max int) int {
	if string(a) == string(b) {
		return 0
	}
	big := max + 1
	if len(a)-len(b) > max || len(b)-len(a) > max {
		return big
	}
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
		if j > max {
			prev[j] = big
		}
	}
	for i := 1; i <= len(a); i++ {
		lo, hi := max2(1, i-max), min(len(b), i+max)
		cur[0] = i
		if i > max {
			cur[0] = big
		}
		best := cur[0]
		if lo > 1 {
			cur[lo-1] = big
		}
		for j := lo; j <= hi; j++ {
			v := prev[j-1]
			if a[i-1] != b[j-1] {
				v++
			}
			v = min(v, prev[j]+1, cur[j-1]+1)
			cur[j] = v
			best = min(best, v)
		}
		if hi < len(b) {
			cur[hi+1] = big
		}
		if best > max {
			return big
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], big)
}

// truthy is JavaScript's truthiness of a record value: absent, null,
// false, 0 and "" are false.
func truthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case string:
		return v != ""
	case int:
		return v != 0
	case int64:
		return v != 0
	case float64:
		return v != 0
	}
	return true
}
