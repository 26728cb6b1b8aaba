// The page's entry: wires the model, the drawing pad, the test images and the views together.
import { startPage } from './page.js';

void startPage();
