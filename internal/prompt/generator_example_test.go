package prompt_test

import (
	"fmt"

	"github.com/picfre/picfre/internal/prompt"
)

func ExampleRender() {
	a := prompt.Analysis{
		Subject:  "a red vintage bicycle",
		Setting:  "against a whitewashed wall",
		Medium:   "photograph",
		Lighting: "soft morning light",
		Lens:     "50mm",
		Negative: []string{"people"},
	}
	gen, _ := prompt.ParseGenerator("mj")
	r, _ := prompt.Render(gen, a, 1000, 667)
	fmt.Println(r.Prompt)

	r, _ = prompt.Render(prompt.SD, a, 1000, 667)
	fmt.Println(r.Prompt)
	fmt.Println(r.Negative)
	fmt.Println(r.Parameters["width"], r.Parameters["height"])
	// Output:
	// a red vintage bicycle, against a whitewashed wall, photograph, soft morning light, 50mm --no people --style raw --v 7 --ar 3:2
	// a red vintage bicycle, against a whitewashed wall, photograph, soft morning light, 50mm, RAW photo, photorealistic, masterpiece, best quality, highly detailed, sharp focus
	// people, lowres, blurry, worst quality, low quality, jpeg artifacts, watermark, signature, text, logo, deformed, disfigured, bad anatomy, extra limbs, cropped, out of frame, illustration, painting, cartoon, 3d render
	// 768 512
}

func ExampleAspectRatio() {
	fmt.Println(prompt.AspectRatio(1000, 667))
	fmt.Println(prompt.AspectRatio(1080, 1350))
	// Output:
	// 3 2
	// 4 5
}
