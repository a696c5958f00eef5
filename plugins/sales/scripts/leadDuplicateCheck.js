// Duplicate rule of the sales app. Two checks, each off, flag or block as
// the sales settings say (PUT /api/v1/sales/settings keeps them in the
// tenant's sales_setting record, read here):
//   - another lead with the same email or phone (default: block);
//   - another lead with a similar company and name (default: flag):
//     both equal once normalised (lower case, accents folded, punctuation
//     dropped, legal suffixes such as GmbH, Inc, Ltd removed) or within a
//     small edit distance (maxDistance, and never more than a quarter of
//     the longer text). Candidates are the leads with the same
//     duplicateKey (indexed): the first four letters of the normalised
//     company and the initials of the first and last word of the normalised
//     name, so a typo in those letters is not found. Each lead keeps its
//     normalised company and name (companyKey, nameKey), so candidates are
//     compared without normalising them again.
// "flag" saves the lead with duplicateOf and duplicateReason set; "block"
// refuses it unless the person saving it ticks "Allow duplicate". It runs
// with system rights so that it sees every rep's leads.
function quote(s) {
  return "'" + String(s).replace(/\\/g, "\\\\").replace(/'/g, "\\'") + "'";
}

var SUFFIXES = ["gmbh", "mbh", "ag", "kg", "ohg", "ug", "inc", "incorporated", "corp", "corporation", "co", "company",
  "ltd", "limited", "llc", "llp", "plc", "sa", "sas", "sarl", "srl", "spa", "bv", "nv", "oy", "ab", "as", "pty", "kk"];
var FOLD = { "ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "à": "a", "á": "a", "â": "a", "ã": "a", "å": "a", "ç": "c",
  "è": "e", "é": "e", "ê": "e", "ë": "e", "ì": "i", "í": "i", "î": "i", "ï": "i", "ñ": "n", "ò": "o", "ó": "o",
  "ô": "o", "õ": "o", "ø": "o", "ù": "u", "ú": "u", "û": "u", "ý": "y", "ÿ": "y" };

// normalise folds case, accents and punctuation; company also drops legal
// suffixes at the end ("Acme Widgets Co. Ltd" -> "acme widgets").
function normalise(s, company) {
  var t = String(s || "").toLowerCase().replace(/[^\u0000-\u007f]/g, function (c) { return FOLD[c] || c; });
  t = t.replace(/&/g, " and ").replace(/[^a-z0-9\u0080-\uffff]+/g, " ").trim();
  var words = t === "" ? [] : t.split(" ");
  if (company) {
    while (words.length > 1 && SUFFIXES.indexOf(words[words.length - 1]) >= 0) words.pop();
  }
  return words.join(" ");
}

// distance is the Levenshtein distance, giving up above max: only the band
// of cells within max of the diagonal is computed.
function distance(a, b, max) {
  if (a === b) return 0;
  var big = max + 1;
  if (Math.abs(a.length - b.length) > max) return big;
  var prev = [], cur = [], i, j, t;
  for (j = 0; j <= b.length; j++) prev[j] = j <= max ? j : big;
  for (i = 1; i <= a.length; i++) {
    var lo = Math.max(1, i - max), hi = Math.min(b.length, i + max), best = big;
    cur[0] = i <= max ? i : big;
    if (lo > 1) cur[lo - 1] = big;
    var ca = a.charCodeAt(i - 1);
    for (j = lo; j <= hi; j++) {
      var v = prev[j - 1] + (ca === b.charCodeAt(j - 1) ? 0 : 1);
      if (prev[j] + 1 < v) v = prev[j] + 1;
      if (cur[j - 1] + 1 < v) v = cur[j - 1] + 1;
      cur[j] = v;
      if (v < best) best = v;
    }
    if (hi < b.length) cur[hi + 1] = big;
    if (best > max) return big;
    t = prev; prev = cur; cur = t;
  }
  return prev[b.length] > max ? big : prev[b.length];
}

function similar(a, b, max) {
  if (a === "" || b === "") return false;
  var allowed = Math.min(max, Math.floor(Math.max(a.length, b.length) / 4));
  return distance(a, b, allowed) <= allowed;
}

function settings(ctx) {
  var found = ctx.records.query("sales_setting", { filter: "name = 'sales'", limit: 1 });
  var s = found.items.length > 0 ? found.items[0] : {};
  return {
    emailPhone: s.duplicateEmailPhone || "block",
    similar: s.duplicateSimilar || "flag",
    maxDistance: typeof s.duplicateMaxDistance === "number" ? s.duplicateMaxDistance : 2
  };
}

function report(ctx, mode, field, other, why) {
  var r = ctx.record;
  if (mode === "block" && !r.allowDuplicate) {
    ctx.error(field, why + " (" + other.name + ", " + other.id + "); tick Allow duplicate to save it anyway");
  } else if (!r.duplicateOf) {
    r.duplicateOf = other.id;
    r.duplicateReason = why;
  }
}

// keys sets the rule's keys on the record from its company and name.
function keys(r) {
  var company = normalise(r.company, true), name = normalise(r.name, false);
  var words = name === "" ? [] : name.split(" ");
  r.companyBlock = company === "" ? null : company.replace(/ /g, "").substring(0, 4);
  r.companyKey = company === "" ? null : company;
  r.nameKey = name === "" ? null : name;
  r.duplicateKey = r.companyBlock === null || words.length === 0 ? null :
    r.companyBlock + "|" + words[0].charAt(0) + words[words.length - 1].charAt(0);
}

function check(ctx) {
  var r = ctx.record, old = ctx.old;
  var renamed = !old || old.company !== r.company || old.name !== r.name || !r.duplicateKey;
  if (renamed) keys(r);
  if (r.mergedInto) return;
  var changed = function (f) { return r[f] && !(old && old[f] === r[f]); };
  if (!renamed && !changed("email") && !changed("phone")) return;
  var set = settings(ctx);
  var self = r.id ? " AND id != " + quote(r.id) : "";
  if (set.emailPhone !== "off") {
    // One query for both fields; the first match decides which it was.
    var terms = ["email", "phone"].filter(changed).map(function (f) { return f + " = " + quote(r[f]); });
    if (terms.length > 0) {
      var found = ctx.records.query("lead", { filter: "(" + terms.join(" OR ") + ")" + self, limit: 1,
        fields: ["id", "name", "email", "phone"] });
      if (found.items.length > 0) {
        var o = found.items[0], f = changed("email") && o.email === r.email ? "email" : "phone";
        report(ctx, set.emailPhone, f, o, "another lead has this " + f);
      }
    }
  }
  if (set.similar === "off" || !renamed || r.duplicateKey === null) return;
  var page = ctx.records.query("lead", { filter: "duplicateKey = " + quote(r.duplicateKey) + self, limit: 200,
    fields: ["id", "name", "company", "companyKey", "nameKey"] });
  for (var k = 0; k < page.items.length; k++) {
    var o = page.items[k];
    var oc = o.companyKey || normalise(o.company, true), on = o.nameKey || normalise(o.name, false);
    if (similar(r.companyKey, oc, set.maxDistance) && similar(r.nameKey, on, set.maxDistance)) {
      report(ctx, set.similar, "company", o, "another lead has a similar company and name");
      return;
    }
  }
}

function beforeCreate(ctx) { check(ctx); }
function beforeUpdate(ctx) { check(ctx); }
