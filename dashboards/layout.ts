/**
 * Places panels on Grafana's 24-column grid left to right, top to bottom, so that no two panels
 * overlap and a new panel never has to be positioned by hand.
 */
export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

export class Grid {
  private x = 0;
  private y = 0;
  private rowHeight = 0;

  next(w: number, h: number): GridPos {
    if (w > 24) throw new Error(`a panel is at most 24 columns wide, not ${w}`);
    if (this.x + w > 24) {
      this.x = 0;
      this.y += this.rowHeight;
      this.rowHeight = 0;
    }
    const pos = { x: this.x, y: this.y, w, h };
    this.x += w;
    this.rowHeight = Math.max(this.rowHeight, h);
    return pos;
  }
}
