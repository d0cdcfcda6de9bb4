// Regenerates media/icon.png: node media/make-icon.cjs media/icon.png
// 128×128 PNG: rounded blue square, white "cylinder" and an arrow. Pure Node (zlib), no deps.
const zlib = require('zlib'); const fs = require('fs');
const W = 128, H = 128;
const px = Buffer.alloc(W * H * 4);
function set(x, y, [r, g, b, a]) { if (x<0||y<0||x>=W||y>=H) return; const i=(y*W+x)*4; px[i]=r; px[i+1]=g; px[i+2]=b; px[i+3]=a; }
const blue=[0,120,212,255], white=[255,255,255,255], light=[199,224,244,255];
for (let y=0;y<H;y++) for (let x=0;x<W;x++) {
  const r=20, cx=Math.min(Math.max(x,r),W-1-r), cy=Math.min(Math.max(y,r),H-1-r);
  if ((x-cx)**2+(y-cy)**2<=r*r) set(x,y,blue); else set(x,y,[0,0,0,0]);
}
// cylinder (storage): body + top ellipse
function ell(x,y,cx,cy,rx,ry){return ((x-cx)/rx)**2+((y-cy)/ry)**2<=1;}
for (let y=0;y<H;y++) for (let x=0;x<W;x++) {
  if ((x>=22&&x<=66&&y>=30&&y<=84) || ell(x,y,44,84,22,8)) set(x,y,white);
  if (ell(x,y,44,30,22,8)) set(x,y,light);
}
// copy arrow pointing right, lower right
for (let y=0;y<H;y++) for (let x=0;x<W;x++) {
  if (x>=60&&x<=92&&y>=78&&y<=90) set(x,y,white);
  if (x>=88&&x<=110&&Math.abs(y-84)<=(110-x)*0.9+1 && Math.abs(y-84)<=20) set(x,y,white);
}
const raw = Buffer.alloc((W*4+1)*H);
for (let y=0;y<H;y++){ raw[y*(W*4+1)]=0; px.copy(raw,y*(W*4+1)+1,y*W*4,(y+1)*W*4); }
const crcTable=[...Array(256)].map((_,n)=>{let c=n;for(let k=0;k<8;k++)c=c&1?0xedb88320^(c>>>1):c>>>1;return c>>>0;});
const crc=(b)=>{let c=0xffffffff;for(const v of b)c=crcTable[(c^v)&255]^(c>>>8);return (c^0xffffffff)>>>0;};
const chunk=(t,d)=>{const l=Buffer.alloc(4);l.writeUInt32BE(d.length);const td=Buffer.concat([Buffer.from(t),d]);const c=Buffer.alloc(4);c.writeUInt32BE(crc(td));return Buffer.concat([l,td,c]);};
const ihdr=Buffer.alloc(13); ihdr.writeUInt32BE(W,0); ihdr.writeUInt32BE(H,4); ihdr[8]=8; ihdr[9]=6; ihdr[10]=0; ihdr[11]=0; ihdr[12]=0;
fs.writeFileSync(process.argv[2], Buffer.concat([Buffer.from([137,80,78,71,13,10,26,10]),chunk('IHDR',ihdr),chunk('IDAT',zlib.deflateSync(raw,{level:9})),chunk('IEND',Buffer.alloc(0))]));
