/**
 * Controls drawn over a picture stay out of its way until wanted, then for `ms`:
 * - touch: a tap on the picture shows them, another tap hides them;
 * - mouse: moving over the picture (or clicking it) shows them; they fade once the mouse rests,
 *   unless it rests on them;
 * - keyboard: focus inside shows them, through CSS (`.stage-controls:has(:focus-visible)`).
 * Using a control keeps them up a little longer.
 */
export function autoHideControls(stage: HTMLElement, controls: HTMLElement, ms = 3000): void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let lastPointer = 'mouse';
  const hide = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    stage.classList.remove('controls-shown');
  };
  const expire = () => {
    if (controls.matches(':hover')) timer = setTimeout(expire, ms);
    else hide();
  };
  const show = () => {
    stage.classList.add('controls-shown');
    if (timer) clearTimeout(timer);
    timer = setTimeout(expire, ms);
  };
  stage.addEventListener('pointerdown', (e) => (lastPointer = e.pointerType));
  stage.addEventListener('pointermove', (e) => {
    if (e.pointerType === 'mouse') show();
  });
  stage.addEventListener('click', (e) => {
    if (controls.contains(e.target as Node)) show();
    else if (lastPointer !== 'mouse' && stage.classList.contains('controls-shown')) hide();
    else show();
  });
  controls.addEventListener('change', show);
}
