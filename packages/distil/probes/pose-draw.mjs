// The pose distribution of the cartpole probes (pose-from-renders.mjs, dump-pose-frames.mjs): the cart at
// x ~ U(-1.8, 1.8); the pole near upright, theta ~ N(0, 0.35), for 3/4 of the frames (the balance task's states),
// else theta ~ U(-pi, pi). rng: @twist/envs' createRng.
export function drawPose(rng) {
  const x = rng.uniform(-1.8, 1.8);
  const near = rng.next() < 0.75;
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const th = near ? gauss() * 0.35 : rng.uniform(-Math.PI, Math.PI);
  return { x, th, near };
}
