package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/chromedp/chromedp"
)

func main() {
	base := os.Args[1]
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath("/usr/bin/chromium"), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 1000))
	actx, c1 := chromedp.NewExecAllocator(context.Background(), opts...)
	defer c1()
	ctx, c2 := chromedp.NewContext(actx)
	defer c2()
	ctx, c3 := context.WithTimeout(ctx, 90*time.Second)
	defer c3()
	shot := func(name string) {
		time.Sleep(300 * time.Millisecond)
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			panic(err)
		}
		os.WriteFile("/tmp/pres-"+name+".png", png, 0o644)
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		fmt.Println(name, loc)
	}
	full := func(name string) {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
		if err != nil {
			panic(err)
		}
		os.WriteFile("/tmp/pres-"+name+".png", png, 0o644)
	}
	click := func(sel string) {
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
			panic(fmt.Sprint(sel, err))
		}
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Navigate(base+"/admin/clientssummary.php?userid=1")); err != nil {
		panic(err)
	}
	for _, s := range os.Args[2:] {
		switch {
		case s[0] == '@':
			shot(s[1:])
		case s[0] == '!':
			full(s[1:])
		case s[0] == '=':
			// fill: =selector|text
			var sel, text string
			for i := range s {
				if s[i] == '|' {
					sel, text = s[1:i], s[i+1:]
					break
				}
			}
			if err := chromedp.Do(ctx, chromedp.Clear(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), text)); err != nil {
				panic(err)
			}
		default:
			click(s)
		}
	}
}
