package sandbox

import "testing"

func TestDuplicateKeys(t *testing.T) {
	tests := []struct {
		body string
		want bool
	}{
		{`{"a":1,"b":2}`, false},
		{`{"a":1,"a":2}`, true},
		{`{"a":{"x":1},"b":{"x":2}}`, false},
		{`{"a":{"x":1,"x":2}}`, true},
		{`{"a":[{"x":1},{"x":1}],"b":"a"}`, false},
		{`{"a":[1,2],"a":[]}`, true},
		{`{"a":"b","b":"a"}`, false},
		{`{"a":`, false},
	}
	for _, tt := range tests {
		if got := duplicateKeys([]byte(tt.body)); got != tt.want {
			t.Errorf("duplicateKeys(%s) = %v, want %v", tt.body, got, tt.want)
		}
	}
}

func FuzzDuplicateKeys(f *testing.F) {
	f.Add([]byte(`{"a":[{"b":1}],"c":{"d":[1,{"e":2}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) { duplicateKeys(b) })
}
