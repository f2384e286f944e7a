/** True when this page may use sessionStorage; false when the browser denies it (partitioned-off iframe). */
export function storageAvailable(): boolean {
  try {
    const probe = '__careloop_probe__';
    window.sessionStorage.setItem(probe, '1');
    window.sessionStorage.removeItem(probe);
    return true;
  } catch {
    return false;
  }
}
