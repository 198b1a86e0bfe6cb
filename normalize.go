package picfre

import "strings"

// collapseSpace trims s and folds every run of white space (newlines
// included) into one space.
func collapseSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
