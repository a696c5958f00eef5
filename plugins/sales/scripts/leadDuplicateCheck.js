// Duplicate rule of the sales app. Two checks, each off, flag or block as
// the sales settings say (PUT /api/v1/sales/settings keeps them in the
// tenant's sales_setting record, read here):
//   - another lead with the same email or phone (default: block);
//   - another lead with a similar company and name (default: flag):
//     both equal once normalised (lower case, accents folded, punctuation
//     dropped, legal suffixes such as GmbH, Inc, Ltd removed) or within a
//     small edit distance (maxDistance, and never more than a quarter of
//     the longer text). Candidates are the leads whose normalised company
//     starts with the same four letters (companyBlock, indexed), so a typo
//     in those letters is not found.
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

// distance is the Levenshtein distance, giving up above max.
function distance(a, b, max) {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  var prev = [], cur = [], i, j;
  for (j = 0; j <= b.length; j++) prev[j] = j;
  for (i = 1; i <= a.length; i++) {
    cur = [i];
    var best = i;
    for (j = 1; j <= b.length; j++) {
      var cost = a.charAt(i - 1) === b.charAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (cur[j] < best) best = cur[j];
    }
    if (best > max) return max + 1;
    prev = cur;
  }
  return prev[b.length];
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

function check(ctx) {
  var r = ctx.record;
  var company = normalise(r.company, true);
  r.companyBlock = company === "" ? null : company.replace(/ /g, "").substring(0, 4);
  if (r.mergedInto) return;
  var set = settings(ctx);
  var self = r.id ? " AND id != " + quote(r.id) : "";
  if (set.emailPhone !== "off") {
    var fields = ["email", "phone"];
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      var v = r[f];
      if (!v) continue;
      if (ctx.old && ctx.old[f] === v) continue;
      var found = ctx.records.query("lead", { filter: f + " = " + quote(v) + self, limit: 1, fields: ["id", "name"] });
      if (found.items.length > 0) report(ctx, set.emailPhone, f, found.items[0], "another lead has this " + f);
    }
  }
  if (set.similar === "off" || r.companyBlock === null) return;
  if (ctx.old && ctx.old.company === r.company && ctx.old.name === r.name) return;
  var name = normalise(r.name, false);
  var page = ctx.records.query("lead", { filter: "companyBlock = " + quote(r.companyBlock) + self, limit: 200,
    fields: ["id", "name", "company"] });
  for (var k = 0; k < page.items.length; k++) {
    var o = page.items[k];
    if (similar(company, normalise(o.company, true), set.maxDistance) && similar(name, normalise(o.name, false), set.maxDistance)) {
      report(ctx, set.similar, "company", o, "another lead has a similar company and name");
      return;
    }
  }
}

function beforeCreate(ctx) { check(ctx); }
function beforeUpdate(ctx) { check(ctx); }
