/** @module Browser entry of the NOC dashboard (bundled by scripts/build_dashboard.ts). */
import { html, render } from "htm/preact";
import { App } from "./app.ts";

render(html`<${App} />`, document.getElementById("app")!);
