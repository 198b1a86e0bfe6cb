package local

import "math"

// lab is a colour in CIE L*a*b* (D65 white).
type lab struct{ L, A, B float64 }

// chroma is the distance from the grey axis.
func (c lab) chroma() float64 { return math.Hypot(c.A, c.B) }

// hue is the hue angle in degrees, 0–360.
func (c lab) hue() float64 {
	h := math.Atan2(c.B, c.A) * 180 / math.Pi
	if h < 0 {
		h += 360
	}
	return h
}

func (c lab) dist2(d lab) float64 {
	dl, da, db := c.L-d.L, c.A-d.A, c.B-d.B
	return dl*dl + da*da + db*db
}

func srgbToLinear(v float64) float64 {
	if v <= 0.04045 {
		return v / 12.92
	}
	return math.Pow((v+0.055)/1.055, 2.4)
}

// labF is the CIE L*a*b* companding function.
func labF(t float64) float64 {
	const e = 216.0 / 24389
	if t > e {
		return math.Cbrt(t)
	}
	return (24389.0/27*t + 16) / 116
}

// labL is L* of a relative luminance Y in 0–1.
func labL(y float64) float64 { return 116*labF(y) - 16 }

// linearLUT maps an 8-bit sRGB value to linear light.
var linearLUT = func() (t [256]float64) {
	for i := range t {
		t[i] = srgbToLinear(float64(i) / 255)
	}
	return t
}()

// rgbToLab converts 8-bit sRGB to L*a*b*. Fractional inputs (cluster means)
// are interpolated in the linear table.
func rgbToLab(r, g, b float64) lab {
	lin := func(v float64) float64 {
		v = min(max(v, 0), 255)
		i := int(v)
		if i >= 255 {
			return linearLUT[255]
		}
		f := v - float64(i)
		return linearLUT[i]*(1-f) + linearLUT[i+1]*f
	}
	rl, gl, bl := lin(r), lin(g), lin(b)
	x := (0.4124564*rl + 0.3575761*gl + 0.1804375*bl) / 0.95047
	y := 0.2126729*rl + 0.7151522*gl + 0.0721750*bl
	z := (0.0193339*rl + 0.1191920*gl + 0.9503041*bl) / 1.08883
	fx, fy, fz := labF(x), labF(y), labF(z)
	return lab{L: 116*fy - 16, A: 500 * (fx - fy), B: 200 * (fy - fz)}
}

// Colour names, in American spelling as stock agencies' search uses.
const (
	red    = "red"
	orange = "orange"
	yellow = "yellow"
	olive  = "olive"
	green  = "green"
	teal   = "teal"
	blue   = "blue"
	purple = "purple"
	pink   = "pink"
	brown  = "brown"
	beige  = "beige"
	white  = "white"
	gray   = "gray"
	black  = "black"
)

// neutral reports whether a colour reads as white, gray or black.
func neutral(name string) bool { return name == white || name == gray || name == black }

// warmHue and coolHue classify hue families for colour temperature.
func warmHue(name string) bool {
	switch name {
	case red, orange, yellow, brown, beige, pink:
		return true
	}
	return false
}

func coolHue(name string) bool {
	switch name {
	case green, teal, blue, purple:
		return true
	}
	return false
}

// nameOf maps a colour to the nearest everyday colour name. The hue bands
// are in L*a*b* hue angle, where pure sRGB red sits near 40°, yellow near
// 100°, green near 135°, cyan near 195° and blue near 305°.
func nameOf(c lab) string {
	ch, h := c.chroma(), c.hue()
	switch {
	case c.L < 10, c.L < 18 && ch < 30:
		return black
	case ch < 7, ch < 10 && c.L > 90:
		switch {
		case c.L >= 85:
			return white
		case c.L <= 22:
			return black
		}
		return gray
	}
	switch {
	case h < 20 || h >= 345:
		if c.L >= 55 {
			return pink
		}
		return red
	case h < 50:
		switch {
		case ch < 18 && c.L >= 55:
			return beige // taupe, dusty rose
		case c.L < 55 && ch < 45:
			return brown
		case c.L >= 62 && ch < 50:
			return pink
		}
		return red
	case h < 80:
		switch {
		case c.L < 58, ch < 30 && c.L < 72:
			return brown
		case ch < 30:
			return beige
		}
		return orange
	case h < 110:
		switch {
		case ch < 30 && c.L >= 65:
			return beige
		case c.L < 60 && ch < 35:
			return brown
		case c.L < 60:
			return olive
		}
		return yellow
	case h < 185:
		return green
	case h < 225:
		if c.L >= 75 && ch < 25 {
			return blue
		}
		return teal
	case h < 310:
		return blue
	}
	return purple
}
