package schema

import (
	"strconv"

	"github.com/opencrm/crm/platform/errs"
)

// geolocationType is a point {"lat": -90..90, "lng": -180..180}, stored as
// a map of two float64.
type geolocationType struct{}

func (geolocationType) Name() string                   { return "geolocation" }
func (geolocationType) JSONType() string               { return "object" }
func (geolocationType) Kind(*Field) Kind               { return KindObject }
func (geolocationType) Check(*Field) []errs.FieldError { return nil }

func (geolocationType) Normalize(_ *Field, v any) (any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, valueErr("type", `must be an object {"lat": ..., "lng": ...}`)
	}
	if len(m) != 2 {
		return nil, valueErr("type", `must have exactly the members "lat" and "lng"`)
	}
	lat, err := coordinate(m["lat"], "lat", 90)
	if err != nil {
		return nil, err
	}
	lng, err := coordinate(m["lng"], "lng", 180)
	if err != nil {
		return nil, err
	}
	return map[string]any{"lat": lat, "lng": lng}, nil
}

func coordinate(v any, name string, limit float64) (float64, error) {
	text, ok := decimalText(v)
	if !ok {
		return 0, valueErr("type", "%s must be a number", name)
	}
	x, err := strconv.ParseFloat(text, 64)
	if err != nil || x < -limit || x > limit {
		return 0, valueErr("range", "%s must be between -%g and %g", name, limit, limit)
	}
	return x, nil
}

func (geolocationType) Render(_ *Field, stored any) any { return stored }

func (geolocationType) Schema(*Field) map[string]any {
	return map[string]any{
		"type": "object",
		"properties": map[string]any{
			"lat": map[string]any{"type": "number", "minimum": -90, "maximum": 90},
			"lng": map[string]any{"type": "number", "minimum": -180, "maximum": 180},
		},
		"required":             []any{"lat", "lng"},
		"additionalProperties": false,
	}
}
