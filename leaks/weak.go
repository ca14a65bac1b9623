package leaks

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// The functions of this file convert a decoded TOML value to the type
// gitleaks' ViperConfig gives its key, accepting what viper's Unmarshal
// accepts: mapstructure with WeaklyTypedInput, after the hook that splits
// a string on "," where a list is expected. So `keywords = "a,b"` is
// ["a", "b"], `keywords = ""` is [], `secretGroup = "2"` is 2,
// `entropy = true` is 1, `id = 3` is "3", a single table where a list of
// tables is expected is a list of one, and an empty one a list of none.

// asString converts v as weak decoding into a string does.
func asString(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		if x {
			return "1", nil
		}
		return "0", nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	}
	return "", typeError("a string", v)
}

// asInt converts v as weak decoding into an int does (a float is
// truncated).
func asInt(v any) (int, error) {
	switch x := v.(type) {
	case int64:
		return int(x), nil
	case float64:
		return int(int64(x)), nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case string:
		if x == "" {
			return 0, nil
		}
		i, err := strconv.ParseInt(x, 0, strconv.IntSize)
		if err != nil {
			return 0, fmt.Errorf("%q is not an integer", x)
		}
		return int(i), nil
	}
	return 0, typeError("an integer", v)
}

// asFloat converts v as weak decoding into a float64 does.
func asFloat(v any) (float64, error) {
	switch x := v.(type) {
	case int64:
		return float64(x), nil
	case float64:
		return x, nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case string:
		if x == "" {
			return 0, nil
		}
		f, err := strconv.ParseFloat(x, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a number", x)
		}
		return f, nil
	}
	return 0, typeError("a number", v)
}

// asBool converts v as weak decoding into a bool does.
func asBool(v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case int64:
		return x != 0, nil
	case float64:
		return x != 0, nil
	case string:
		b, err := strconv.ParseBool(x)
		if err != nil && x != "" {
			return false, fmt.Errorf("%q is not a boolean", x)
		}
		return b, nil
	}
	return false, typeError("a boolean", v)
}

// asStrings converts v as weak decoding into a []string does: a string
// is split on ","; an empty table is no strings; another value is a list
// of one.
func asStrings(v any) ([]string, error) {
	switch x := v.(type) {
	case string:
		if x == "" {
			return []string{}, nil
		}
		return strings.Split(x, ","), nil
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			s, err := asString(e)
			if err != nil {
				return nil, fmt.Errorf("item %d: %w", i+1, err)
			}
			out[i] = s
		}
		return out, nil
	case map[string]any:
		if len(x) == 0 {
			return []string{}, nil
		}
	}
	s, err := asString(v)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

// asTables converts v as weak decoding into a slice of structs does: an
// empty string or table is no tables, a table is a list of one.
func asTables(v any) ([]map[string]any, error) {
	switch x := v.(type) {
	case []any:
		out := make([]map[string]any, len(x))
		for i, e := range x {
			t, err := asTable(e)
			if err != nil {
				return nil, fmt.Errorf("item %d: %w", i+1, err)
			}
			out[i] = t
		}
		return out, nil
	case string:
		if x == "" {
			return nil, nil
		}
	case map[string]any:
		if len(x) == 0 {
			return nil, nil
		}
	}
	t, err := asTable(v)
	if err != nil {
		return nil, err
	}
	return []map[string]any{t}, nil
}

// asTable converts v as weak decoding into a struct does: a date or time
// is a struct without a field of gitleaks', so an empty table.
func asTable(v any) (map[string]any, error) {
	switch x := v.(type) {
	case map[string]any:
		return x, nil
	case time.Time, toml.LocalDate, toml.LocalTime, toml.LocalDateTime:
		return map[string]any{}, nil
	}
	return nil, typeError("a table", v)
}

// typeError says v is not what was wanted.
func typeError(want string, v any) error {
	var got string
	switch v.(type) {
	case string:
		got = "a string"
	case bool:
		got = "a boolean"
	case int64:
		got = "an integer"
	case float64:
		got = "a float"
	case []any:
		got = "an array"
	case map[string]any:
		got = "a table"
	default:
		got = "a date or time"
	}
	return fmt.Errorf("want %s, not %s", want, got)
}
