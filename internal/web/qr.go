package web

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/code128"
	"github.com/boombuler/barcode/qr"
)

// qrQuietModules is the blank margin a QR reader needs around the code.
const qrQuietModules = 4

// qrSVG draws content as a QR code (error correction M) in SVG, one path
// of unit squares, so the page needs no image request and no script.
func qrSVG(content string) (template.HTML, error) {
	c, err := qr.Encode(content, qr.M, qr.Auto)
	if err != nil {
		return "", fmt.Errorf("web: qr: %w", err)
	}
	return modulesSVG(c, qrQuietModules, 1, "qr"), nil
}

// barcodeSVG draws content as a Code 128 barcode in SVG.
func barcodeSVG(content string) (template.HTML, error) {
	c, err := code128.Encode(content)
	if err != nil {
		return "", fmt.Errorf("web: barcode: %w", err)
	}
	return modulesSVG(c, 10, 0, "barcode"), nil
}

// modulesSVG draws the dark modules of c with a quiet zone of quiet
// modules around; rows 0 means a one-dimensional code (drawn 40% as tall
// as wide at most).
func modulesSVG(c barcode.Barcode, quiet, rows int, class string) template.HTML {
	b := c.Bounds()
	w, h := b.Dx(), b.Dy()
	var p strings.Builder
	if rows == 0 {
		h = max(w/4, 1)
		for x := 0; x < w; x++ {
			if isDark(c, b.Min.X+x, b.Min.Y) {
				fmt.Fprintf(&p, "M%d %dh1v%dh-1z", x+quiet, 0, h)
			}
		}
		return template.HTML(fmt.Sprintf(`<svg class="%s" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img" aria-hidden="true"><rect width="100%%" height="100%%" fill="#fff"/><path fill="#000" d="%s"/></svg>`,
			class, w+2*quiet, h, p.String()))
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if isDark(c, b.Min.X+x, b.Min.Y+y) {
				fmt.Fprintf(&p, "M%d %dh1v1h-1z", x+quiet, y+quiet)
			}
		}
	}
	return template.HTML(fmt.Sprintf(`<svg class="%s" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img" aria-hidden="true"><rect width="100%%" height="100%%" fill="#fff"/><path fill="#000" d="%s"/></svg>`,
		class, w+2*quiet, h+2*quiet, p.String()))
}

func isDark(c barcode.Barcode, x, y int) bool {
	r, _, _, _ := c.At(x, y).RGBA()
	return r < 0x8000
}
