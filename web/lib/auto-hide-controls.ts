/**
 * Controls drawn over a picture stay out of its way until wanted: a tap or click on the picture
 * shows them for `ms` (a second tap hides them again), using one keeps them up a little longer.
 * Hovering with a mouse and keyboard focus show them through CSS (see `.stage-controls`).
 */
export function autoHideControls(stage: HTMLElement, controls: HTMLElement, ms = 3000): void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const hide = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    stage.classList.remove('controls-shown');
  };
  const show = () => {
    stage.classList.add('controls-shown');
    if (timer) clearTimeout(timer);
    timer = setTimeout(hide, ms);
  };
  stage.addEventListener('click', (e) => {
    if (controls.contains(e.target as Node)) show();
    else if (stage.classList.contains('controls-shown')) hide();
    else show();
  });
  controls.addEventListener('change', show);
}
