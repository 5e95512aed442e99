import struct,json,sys,zlib,glob
import numpy as np
def load(path):
  b=open(path,'rb').read()
  n=struct.unpack('<I',b[8:12])[0]; h=json.loads(b[12:12+n]); data=12+n
  while data%8: data+=1
  T=h['records'][0]['length']; S=h['stateSize']; A=h['actionSize']
  p4=lambda x:(x+3)//4*4
  off=data
  st=np.frombuffer(b,dtype='<f4',count=T*S,offset=off).reshape(T,S); off+=p4(T*S*4)
  ac=np.frombuffer(b,dtype='<f4',count=T*A,offset=off).reshape(T,A); off+=p4(T*A*4)
  rw=np.frombuffer(b,dtype='<f4',count=T,offset=off); off+=p4(T*4)
  fl=np.frombuffer(b,dtype='u1',count=T,offset=off); off+=p4(T)
  im=np.frombuffer(b,dtype='u1',count=T*64*64*3,offset=off).reshape(T,64,64,3)
  return st,ac,rw,fl,im
def png(path,a):
  a=np.ascontiguousarray(a); H,W,_=a.shape
  raw=b''.join(b'\x00'+a[y].tobytes() for y in range(H))
  c=lambda t,d: struct.pack('>I',len(d))+t+d+struct.pack('>I',zlib.crc32(t+d)&0xffffffff)
  open(path,'wb').write(b'\x89PNG\r\n\x1a\n'+c(b'IHDR',struct.pack('>IIBBBBB',W,H,8,2,0,0,0))+c(b'IDAT',zlib.compress(raw))+c(b'IEND',b''))
files=sorted(glob.glob(sys.argv[1]+'/ep-*.bin'))
rows=[]
for f in [files[int(i)] for i in sys.argv[2].split(',')]:
  st,ac,rw,fl,im=load(f)
  ts=[0,1,2,3,50,100,200,300]
  rows.append(np.concatenate([im[t] for t in ts],axis=1))
  print(f, ' '.join(f"t{t}:x={st[t,0]:.2f},s={st[t,2]:.2f},a={ac[t,0]:.2f}" for t in ts))
a=np.concatenate(rows,axis=0); a=a.repeat(2,0).repeat(2,1)
png(sys.argv[3],a)
