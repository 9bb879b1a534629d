package web

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"

	"github.com/saifu-pay/saifu/internal/apperr"
)

// photoOfQR is a photo-like picture of a QR code of content: the code,
// side pixels wide, on a grey desk in a frame w×h.
func photoOfQR(t *testing.T, content string, side, w, h int) image.Image {
	t.Helper()
	c, err := qr.Encode(content, qr.M, qr.Auto)
	if err != nil {
		t.Fatal(err)
	}
	c, err = barcode.Scale(c, side, side)
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.RGBA{150, 140, 130, 255}}, image.Point{}, draw.Src)
	margin := side / 8
	at := image.Pt(w/3, h/4)
	draw.Draw(img, image.Rect(at.X-margin, at.Y-margin, at.X+side+margin, at.Y+side+margin), &image.Uniform{color.White}, image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(at.X, at.Y, at.X+side, at.Y+side), c, image.Point{}, draw.Src)
	return img
}

// TestDecodeQRPhoto: the QR code in a JPEG or PNG photo is read, a large
// photo too (shrunk first); a picture without a code, a file that is no
// picture and one over the size bound are refused with a reason.
func TestDecodeQRPhoto(t *testing.T) {
	payload := "00020101021126280012jp.saifu.mpm0108mer_test5204541153033925802JP5904Shop6005Tokyo6304ABCD"
	enc := func(img image.Image, asPNG bool) []byte {
		var b bytes.Buffer
		if asPNG {
			png.Encode(&b, img)
		} else {
			jpeg.Encode(&b, img, &jpeg.Options{Quality: 85})
		}
		return b.Bytes()
	}
	blank := image.NewGray(image.Rect(0, 0, 300, 200))
	tests := []struct {
		name     string
		file     []byte
		want     string
		wantCode apperr.Code
	}{
		{name: "JPEG", file: enc(photoOfQR(t, payload, 300, 800, 600), false), want: payload},
		{name: "PNG", file: enc(photoOfQR(t, payload, 300, 800, 600), true), want: payload},
		{name: "a large photo", file: enc(photoOfQR(t, payload, 1200, 4000, 3000), false), want: payload},
		{name: "no code in it", file: enc(blank, true), wantCode: apperr.Invalid},
		{name: "not a picture", file: []byte("hello, world"), wantCode: apperr.Invalid},
		{name: "over the size bound", file: bytes.Repeat([]byte{0xff}, photoBytesMax+1), wantCode: apperr.Invalid},
	}
	for _, tt := range tests {
		got, err := decodeQRPhoto(bytes.NewReader(tt.file))
		if tt.wantCode != "" {
			if apperr.CodeOf(err) != tt.wantCode {
				t.Errorf("%s: err = %v, want %s", tt.name, err, tt.wantCode)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: got %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
	if _, err := decodeQRPhoto(strings.NewReader("")); err == nil {
		t.Error("an empty file was read")
	}
}
