package answer_test

import (
	"fmt"

	"github.com/picfre/picfre/internal/answer"
)

// A model answered two items inside a code fence with a sentence before
// it; Items finds the JSON and splits it.
func ExampleItems() {
	text := "Here are your results:\n```json\n" +
		`{"items":[{"title":"Red kite","keywords":["kite"]},{"title":"Blue sea","keywords":["sea"]}]}` + "\n```"
	items, err := answer.Items(text, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, it := range items {
		m, err := answer.DecodeMetadata(it)
		fmt.Println(m.Title, m.Keywords, err)
	}
	_, err = answer.Items(`{"title":"only one"}`, 2)
	fmt.Println(err)
	// Output:
	// Red kite [kite] <nil>
	// Blue sea [sea] <nil>
	// bad model output: answer for 2 items has no "items" array
}
