// Package formula owns the platform's small, safe expression language: the
// formulas of formula fields (computed on read), the conditions of validation
// rules (a true result makes a save fail) and workflow criteria. It parses
// once (Parse), type-checks against the object's fields (Check) and
// evaluates many times (Eval, EvalBool) without loops, I/O or unbounded
// work. It imports nothing of the project except platform/errs; resolving
// field references (including lookups such as account.name) is the caller's.
//
// # Syntax
//
// Salesforce-formula-like; function names and the keywords TRUE, FALSE, NULL,
// AND, OR, NOT are case-insensitive, field names are passed to the caller as
// written. Literals: numbers (12, 0.5, .5; no exponent), text in '…' or "…"
// with the escapes \\ \' \" \n \r \t, TRUE, FALSE, NULL. Comments: /* … */.
// Operators, loosest first:
//
//	OR ||                    (also the function OR(a, b, …))
//	AND &&                   (also AND(a, b, …))
//	NOT !   (prefix)         NOT x and !x negate a whole comparison: !a = b is !(a = b);
//	                         NOT(x) written as a call is the function, binding like any call
//	= == != <> < <= > >=
//	&                        text concatenation
//	+ -
//	* /
//	- +     (prefix)
//
// Limits: MaxSourceBytes of source, MaxDepth levels of nesting (also the
// height of the tree, so no input can exhaust the stack: a chain a + b + …
// may have at most MaxDepth operators, while AND/OR chains are flat),
// MaxTextBytes per text result and MaxEvalTextBytes of text produced or
// scanned per evaluation.
//
// # Types and numbers
//
// Every number is a Decimal: an exact decimal with a 64-bit coefficient and
// up to 18 places, so 0.1 + 0.2 = 0.3 exactly. Callers hand currency stored
// as minor units in as NewDecimal(units, scale) and take results back with
// Decimal.Rescale(scale). Sums and differences are exact; products and
// quotients keep as many places as fit (at most 18), rounding half away from
// zero (1/3 = 0.333333333333333333). A result beyond about ±9.2e18 is a
// formula.eval error. TypeCurrency is TypeNumber for every operation; the
// checker keeps it only to type a formula's result as money.
//
// # Nulls
//
//   - Arithmetic (+ - * / unary -, ABS, ROUND, FLOOR, CEILING, MOD, MIN, MAX,
//     date arithmetic, DATE, YEAR…) with a null operand gives null.
//   - & , + on text and CONCAT read null as "".
//   - = and != treat null as a value: null = null is true, null equals the
//     empty text "", and null equals nothing else. <, <=, >, >= with a null
//     operand give null.
//   - Conditions (IF, AND, OR, NOT, EvalBool) read null as false, so a
//     validation rule amount < 0 does not fire for an empty amount, while
//     NOT(amount > 0) does.
//   - ISBLANK(x) is true for null and ""; BLANKVALUE(x, y) is y when
//     ISBLANK(x). ISNULL and NULLVALUE are synonyms.
//   - Text functions: LEN(null) = 0, CONTAINS/BEGINS/ISPICKVAL read null as
//     "", UPPER, LOWER, TRIM, LEFT, RIGHT, MID, SUBSTITUTE, TEXT of null are
//     null, VALUE(null) and VALUE("") are null.
//
// IF, CASE, BLANKVALUE, AND and OR evaluate lazily (AND stops at the first
// false), so IF(qty = 0, 0, amount / qty) never divides by zero.
//
// # Errors
//
// Division (and MOD) by zero is an evaluation error (formula.eval,
// division_by_zero), not null: a formula field's reader should show such an
// error as an error value, and a validation rule's error blocks the save
// with the message. Other evaluation errors: an invalid DATE(2023, 2, 29),
// unparseable VALUE or DATEVALUE text, numbers out of range, text over the
// limits.
//
// # Functions
//
//	IF(c, a, b)  CASE(x, v1, r1, v2, r2, …, else)  (x = vi by the = rules)
//	CONCAT(t, …)  TEXT(x)  VALUE(t)  LEN(t)  UPPER(t)  LOWER(t)  TRIM(t)
//	LEFT(t, n)  RIGHT(t, n)  MID(t, start, n)  CONTAINS(t, s)  BEGINS(t, s)
//	SUBSTITUTE(t, old, new)  ISBLANK(x)  BLANKVALUE(x, y)  ISPICKVAL(f, 'v')
//	ABS(n)  ROUND(n[, places])  FLOOR(n)  CEILING(n)  MIN(x, …)  MAX(x, …)
//	MOD(a, b)  TODAY()  NOW()  DATE(y, m, d)  DATEVALUE(x)  DATETIMEVALUE(x)
//	YEAR(d)  MONTH(d)  DAY(d)  WEEKDAY(d)  ADDDAYS(d, n)  ADDMONTHS(d, n)
//	DATEDIFF([unit,] start, end)
//
// Exact semantics: text positions and lengths count characters (runes); MID
// is 1-based; LEFT/RIGHT/MID clamp out-of-range counts; CONTAINS, BEGINS,
// ISPICKVAL and comparisons of text are case-sensitive; TRIM strips Unicode
// white space. TEXT prints numbers in plain shortest form (2.50 → "2.5"),
// dates as YYYY-MM-DD, date-times as RFC 3339 in UTC, booleans as
// true/false. ROUND rounds half away from zero (places may be negative:
// ROUND(1250, -2) = 1300); FLOOR and CEILING round toward −∞ and +∞
// (CEILING(-2.5) = -2); MOD(a, b) has the sign of a (MOD(-7, 3) = -1).
// MIN and MAX take numbers, dates or date-times.
//
// Dates: a Date is a calendar day, a DateTime an instant. TODAY() is the
// date of ValueEnv.Now in ValueEnv.Location; a DateTime becomes a date
// (DATEVALUE, YEAR/MONTH/DAY/WEEKDAY, ADDMONTHS, DATEDIFF in days and
// larger units) in that same zone, and a Date becomes a DateTime at
// midnight there. date + n and ADDDAYS(date, n) add whole days (n's
// fraction dropped toward zero); datetime + n adds n × 24 hours to the
// millisecond; date − date and datetime − datetime are days (a fraction for
// date-times). ADDMONTHS clamps to the month's last day (2024-01-31 + 1 →
// 2024-02-29). WEEKDAY is 1 for Sunday … 7 for Saturday. DATE(y, m, d) takes
// whole numbers and refuses dates that do not exist.
//
// DATEDIFF(unit, start, end) counts complete units from start to end,
// negative when end is earlier; unit is 'day' (the default with two
// arguments), 'week', 'month', 'year', 'hour', 'minute' or 'second',
// singular or plural, any case. Days are calendar days between the two
// dates; weeks are days / 7 toward zero; months are the largest n with
// ADDMONTHS(start, n) <= end (so 2024-01-31 → 2024-02-29 is 1 month and
// 2000-02-29 → 2001-02-28 is 1 year); years are months / 12 toward zero.
// Hours, minutes and seconds between date-times are the elapsed time
// truncated toward zero; between dates they are days × 24, × 1440, × 86400.
package formula
