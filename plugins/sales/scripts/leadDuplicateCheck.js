// Duplicate rule of the sales app: a lead whose email or phone another lead
// has already is refused, unless the person saving it ticks "Allow
// duplicate". It runs with system rights so that it sees every rep's leads.
function quote(s) {
  return "'" + String(s).replace(/\\/g, "\\\\").replace(/'/g, "\\'") + "'";
}

function check(ctx) {
  var r = ctx.record;
  if (r.allowDuplicate) return;
  var fields = ["email", "phone"];
  for (var i = 0; i < fields.length; i++) {
    var f = fields[i];
    var v = r[f];
    if (!v) continue;
    if (ctx.old && ctx.old[f] === v) continue;
    var filter = f + " = " + quote(v);
    if (r.id) filter += " AND id != " + quote(r.id);
    var found = ctx.records.query("lead", { filter: filter, limit: 1, fields: ["id", "name"] });
    if (found.items.length > 0) {
      ctx.error(f, "another lead has this " + f + " (" + found.items[0].name + ", " + found.items[0].id +
        "); tick Allow duplicate to save it anyway");
    }
  }
}

function beforeCreate(ctx) { check(ctx); }
function beforeUpdate(ctx) { check(ctx); }
