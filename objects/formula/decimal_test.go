package formula

import (
	"encoding/json"
	"math"
	"testing"
)

func mustParse(t *testing.T, s string) Decimal {
	t.Helper()
	d, err := ParseDecimal(s)
	if err != nil {
		t.Fatalf("ParseDecimal(%q): %v", s, err)
	}
	return d
}

func TestParseDecimal_roundTripsAndRounds(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"0", "0"}, {"-0", "0"}, {"12.50", "12.5"}, {".5", "0.5"}, {"+3", "3"}, {"-0.001", "-0.001"},
		{"9223372036854775807", "9223372036854775807"},
		{"0.1234567890123456789", "0.123456789012345679"}, // 19 places round to 18
		{"1.99999999999999999999", "2"},
		{"123456789.123456789123", "123456789.1234567891"},
	} {
		t.Run(c.in, func(t *testing.T) {
			if got := mustParse(t, c.in).String(); got != c.want {
				t.Fatalf("got %s, want %s", got, c.want)
			}
		})
	}
	for _, bad := range []string{"", "-", ".", "1e5", "1.2.3", "9223372036854775808", "abc", " 1"} {
		t.Run("rejects "+bad, func(t *testing.T) {
			if _, err := ParseDecimal(bad); err == nil {
				t.Fatalf("ParseDecimal(%q) succeeded", bad)
			}
		})
	}
}

func TestDecimal_currencySumsAreExact(t *testing.T) {
	sum := Decimal{}
	dime, err := DecimalFromFloat(0.1)
	if err != nil {
		t.Fatal(err)
	}
	for range 1000 {
		var ok bool
		if sum, ok = sum.add(dime); !ok {
			t.Fatal("overflow")
		}
	}
	if sum.String() != "100" || sum.Cmp(DecimalFromInt(100)) != 0 {
		t.Fatalf("1000 × 0.1 = %s, want exactly 100", sum)
	}
	minor, err := NewDecimal(1999, 2)
	if err != nil {
		t.Fatal(err)
	}
	total, _ := minor.mul(DecimalFromInt(3))
	if units, err := total.Rescale(2); err != nil || units != 5997 {
		t.Fatalf("3 × 19.99 in cents = %d, %v; want 5997", units, err)
	}
}

func TestDecimal_rescaleRoundsHalfAwayFromZero(t *testing.T) {
	for _, c := range []struct {
		in    string
		scale int
		want  int64
	}{
		{"12.345", 2, 1235}, {"-12.345", 2, -1235}, {"12.344", 2, 1234}, {"12", 2, 1200}, {"0.5", 0, 1}, {"-0.5", 0, -1},
	} {
		t.Run(c.in, func(t *testing.T) {
			got, err := mustParse(t, c.in).Rescale(c.scale)
			if err != nil || got != c.want {
				t.Fatalf("Rescale = %d, %v; want %d", got, err, c.want)
			}
		})
	}
	if _, err := mustParse(t, "92233720368547758").Rescale(3); err == nil {
		t.Fatal("Rescale past int64 succeeded")
	}
}

func TestDecimal_cmpAcrossScalesAndSigns(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"2.5", "2.50", 0}, {"-1", "0.001", -1}, {"9223372036854775807", "922337203685477580.7", 1},
		{"-0.000000000000000001", "-0.00000000000000001", 1}, {"3", "3", 0},
	} {
		if got := mustParse(t, c.a).Cmp(mustParse(t, c.b)); got != c.want {
			t.Errorf("Cmp(%s, %s) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestDecimal_arithmeticAtTheEdges(t *testing.T) {
	max := DecimalFromInt(math.MaxInt64)
	if _, ok := max.add(DecimalFromInt(1)); ok {
		t.Error("MaxInt64 + 1 did not overflow")
	}
	if d, ok := max.add(DecimalFromInt(-1)); !ok || d.String() != "9223372036854775806" {
		t.Errorf("MaxInt64 - 1 = %s, %v", d, ok)
	}
	// Mixed scales whose alignment overflows 64 bits are added in 128 bits.
	if d, ok := max.add(mustParse(t, "0.4")); !ok || d.String() != "9223372036854775807" {
		t.Errorf("MaxInt64 + 0.4 = %s, %v (rounded to the integer that fits)", d, ok)
	}
	if _, ok := max.add(mustParse(t, "0.5")); ok {
		t.Error("MaxInt64 + 0.5 rounds away from zero past MaxInt64 and must overflow")
	}
	if d, ok := mustParse(t, "1.5").mod(mustParse(t, "0.4")); !ok || d.String() != "0.3" {
		t.Errorf("MOD(1.5, 0.4) = %s", d)
	}
	if d, ok := max.mod(mustParse(t, "0.000000000000000007")); !ok || d.Sign() < 0 {
		t.Errorf("MOD(max, tiny) = %s, %v", d, ok)
	}
	if d, ok := mustParse(t, "-7").quo(DecimalFromInt(2)); !ok || d.String() != "-3.5" {
		t.Errorf("-7 / 2 = %s", d)
	}
	if d, ok := DecimalFromInt(1).quo(mustParse(t, "0.000000000000000001")); !ok || d.String() != "1000000000000000000" {
		t.Errorf("1 / 1e-18 = %s, %v", d, ok)
	}
	if _, ok := DecimalFromInt(100).quo(mustParse(t, "0.000000000000000001")); ok {
		t.Error("100 / 1e-18 did not overflow")
	}
	if d, ok := mustParse(t, "0.999").round(-3); !ok || d.String() != "0" {
		t.Errorf("ROUND(0.999, -3) = %s", d)
	}
	if d, ok := mustParse(t, "4000000000000000000").round(-19); !ok || d.String() != "0" {
		t.Errorf("ROUND(4e18, -19) = %s, %v", d, ok)
	}
	if d, ok := max.round(-18); !ok || d.String() != "9000000000000000000" {
		t.Errorf("ROUND(max, -18) = %s, %v", d, ok)
	}
	if _, ok := max.round(-19); ok {
		t.Error("ROUND(max, -19) = 1e19 did not overflow")
	}
}

func TestDecimal_fromFloatAndJSON(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want string
	}{{0.1, "0.1"}, {-2.5e-7, "-0.00000025"}, {1e18, "1000000000000000000"}, {123.456, "123.456"}} {
		d, err := DecimalFromFloat(c.in)
		if err != nil || d.String() != c.want {
			t.Errorf("DecimalFromFloat(%v) = %s, %v; want %s", c.in, d, err, c.want)
		}
		if d.Float64() != c.in {
			t.Errorf("Float64 round trip of %v gave %v", c.in, d.Float64())
		}
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1), 1e19} {
		if _, err := DecimalFromFloat(bad); err == nil {
			t.Errorf("DecimalFromFloat(%v) succeeded", bad)
		}
	}
	b, err := json.Marshal(map[string]any{"n": mustParse(t, "-12.50"), "d": Date{}})
	if err != nil || string(b) != `{"d":"1970-01-01","n":-12.5}` {
		t.Fatalf("json = %s, %v", b, err)
	}
}
