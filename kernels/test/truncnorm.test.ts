import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  normalSpecial,
  randomUniform,
  tensor,
  truncNormalEntropy,
  truncNormalEntropyGrad,
  truncNormalLogProb,
  truncNormalLogProbGrad,
  truncNormalSample,
  truncNormalSampleGrad,
  type Device,
  type SpecialFn,
  type Tensor,
} from '../src/index.js';
import { cpu, expectClose, gpu, hasGpu, randomArray, read } from './harness.js';

const f32 = Math.fround;

// ---- references ----------------------------------------------------------------------------------------------------
//
// Generated with mpmath at 500 digits, at f32-exact inputs (so input rounding is not counted as error):
//   sample rows   [mean, std, lo, hi, u, x, dx/dmean, dx/dstd]      x = mean + std Phi^-1(Phi(alpha) + u Z), the
//                 derivatives by mp.diff of that expression;
//   logprob rows  [mean, std, lo, hi, x, log p, d/dmean, d/dstd];
//   entropy rows  [mean, std, lo, hi, H, dH/dmean, dH/dstd]      H = log(sqrt(2 pi e) std Z) + (alpha phi(alpha) - beta phi(beta)) / (2 Z);
//   special       [x, f(x)]: erf, erfc, exp(x^2) erfc(x), Phi, log Phi, Phi^-1, Phi^-1(exp(x)) (findroot below 1e-300).
// The cases cover DreamerV2's regime (alpha < 0 < beta up to +-20: std 0.1 with |mean| near 1, std 2.1), one-sided
// intervals far out (mean 5 and 2 above [-1, 1], -30 below: alpha = 29), a boundary at 0, a nearly uniform
// std 50 and other bounds; u includes 0, 2^-24 and 1 - 2^-24 (the extremes of randomUniform).
const REF_SAMPLE: readonly (readonly number[])[] = [
  [0.30000001192092896, 0.5, -1.0, 1.0, 0.0, -1.0, 0.0, -0.0],
  [0.30000001192092896, 0.5, -1.0, 1.0, 5.960464477539063e-08, -0.99999799333, 9.837197868e-06, -2.419147835e-05],
  [0.30000001192092896, 0.5, -1.0, 1.0, 0.0010000000474974513, -0.968956966392, 0.1388815034, -0.3365981009],
  [0.30000001192092896, 0.5, -1.0, 1.0, 0.10000000149011612, -0.35199232494, 0.8404673473, -1.240504006],
  [0.30000001192092896, 0.5, -1.0, 1.0, 0.5, 0.252241724038, 0.794384898, -0.3149714697],
  [0.30000001192092896, 0.5, -1.0, 1.0, 0.8999999761581421, 0.772724411107, 0.4665524262, 0.2199156987],
  [0.30000001192092896, 0.5, -1.0, 1.0, 0.9990000128746033, 0.996958849171, 0.009362307088, 0.007384725029],
  [0.30000001192092896, 0.5, -1.0, 1.0, 0.9999999403953552, 0.999999817958, 5.639143697e-07, 4.470252449e-07],
  [0.9990000128746033, 0.10000000149011612, -1.0, 1.0, 0.0, -1.0, -0.0, 0.0],
  [0.9990000128746033, 0.10000000149011612, -1.0, 1.0, 5.960464477539063e-08, 0.45714377572, 0.8584601084, -5.419977671],
  [0.9990000128746033, 0.10000000149011612, -1.0, 1.0, 0.0010000000474974513, 0.670170983967, 0.7771772973, -3.290518438],
  [0.9990000128746033, 0.10000000149011612, -1.0, 1.0, 0.10000000149011612, 0.834900225904, 0.6156486277, -1.644841309],
  [0.9990000128746033, 0.10000000149011612, -1.0, 1.0, 0.5, 0.932177406175, 0.3749565725, -0.6744764108],
  [0.9990000128746033, 0.10000000149011612, -1.0, 1.0, 0.8999999761581421, 0.987340477956, 0.09390697657, -0.1256561609],
  [0.9990000128746033, 0.10000000149011612, -1.0, 1.0, 0.9990000128746033, 0.999873664688, 0.001011810558, -0.001253235123],
  [0.9990000128746033, 0.10000000149011612, -1.0, 1.0, 0.9999999403953552, 0.99999999247, 6.035766357e-08, -7.469956886e-08],
  [-0.9999989867210388, 0.10000000149011612, -1.0, 1.0, 0.0, -1.0, 0.0, 0.0],
  [-0.9999989867210388, 0.10000000149011612, -1.0, 1.0, 5.960464477539063e-08, -0.99999999253, 5.960539894e-08, 7.470334394e-08],
  [-0.9999989867210388, 0.10000000149011612, -1.0, 1.0, 0.0010000000474974513, -0.999874667533, 0.0009992281082, 0.001253314525],
  [-0.9999989867210388, 0.10000000149011612, -1.0, 1.0, 0.10000000149011612, -0.987433770839, 0.09286707506, 0.1256613487],
  [-0.9999989867210388, 0.10000000149011612, -1.0, 1.0, 0.5, -0.932550646739, 0.3722939272, 0.6744897502],
  [-0.9999989867210388, 0.10000000149011612, -1.0, 1.0, 0.8999999761581421, -0.835514025082, 0.6131892659, 1.644853511],
  [-0.9999989867210388, 0.10000000149011612, -1.0, 1.0, 0.9990000128746033, -0.670946173908, 0.7755226873, 3.290530354],
  [-0.9999989867210388, 0.10000000149011612, -1.0, 1.0, 0.9999999403953552, -0.458000805688, 0.8573600076, 5.419983175],
  [0.0, 2.0999999046325684, -1.0, 1.0, 0.0, -1.0, -0.0, 0.0],
  [0.0, 2.0999999046325684, -1.0, 1.0, 5.960464477539063e-08, -0.999999871358, 2.917052996e-08, -9.398943487e-09],
  [0.0, 2.0999999046325684, -1.0, 1.0, 0.0010000000474974513, -0.997842272221, 0.0004886334323, -0.000157108808],
  [0.0, 2.0999999046325684, -1.0, 1.0, 0.10000000149011612, -0.788938901304, 0.04190563837, -0.0106968647],
  [0.0, 2.0999999046325684, -1.0, 1.0, 0.5, 0.0, 0.1071875076, 0.0],
  [0.0, 2.0999999046325684, -1.0, 1.0, 0.8999999761581421, 0.788938855085, 0.04190564629, 0.01069686611],
  [0.0, 2.0999999046325684, -1.0, 1.0, 0.9990000128746033, 0.997842300097, 0.0004886271281, 0.0001571067853],
  [0.0, 2.0999999046325684, -1.0, 1.0, 0.9999999403953552, 0.999999871358, 2.917052996e-08, 9.398943487e-09],
  [0.699999988079071, 0.10000000149011612, -1.0, 1.0, 0.0, -1.0, -0.0, -0.0],
  [0.699999988079071, 0.10000000149011612, -1.0, 1.0, 5.960464477539063e-08, 0.170504886493, 0.9991890303, -5.297383846],
  [0.699999988079071, 0.10000000149011612, -1.0, 1.0, 0.0010000000474974513, 0.390936638482, 0.9986821424, -3.094587023],
  [0.699999988079071, 0.10000000149011612, -1.0, 1.0, 0.10000000149011612, 0.57176787454, 0.9974722143, -1.289904474],
  [0.699999988079071, 0.10000000149011612, -1.0, 1.0, 0.5, 0.699830803409, 0.994445495, -0.01835536203],
  [0.699999988079071, 0.10000000149011612, -1.0, 1.0, 0.8999999761581421, 0.827465918554, 0.9774716918, 1.207074359],
  [0.699999988079071, 0.10000000149011612, -1.0, 1.0, 0.9990000128746033, 0.982710645509, 0.3963344978, 1.016109981],
  [0.699999988079071, 0.10000000149011612, -1.0, 1.0, 0.9999999403953552, 0.999998656926, 4.035091795e-05, 0.000107622018],
  [5.0, 0.5, -1.0, 1.0, 0.0, -1.0, -0.0, -0.0],
  [5.0, 0.5, -1.0, 1.0, 5.960464477539063e-08, 0.0789587513907, 0.183099838, -3.306881201],
  [5.0, 0.5, -1.0, 1.0, 0.0010000000474974513, 0.594673622202, 0.08967558375, -1.528057426],
  [5.0, 0.5, -1.0, 1.0, 0.10000000149011612, 0.860598330042, 0.03274460484, -0.5407601787],
  [5.0, 0.5, -1.0, 1.0, 0.5, 0.957544496304, 0.01020178696, -0.1665253031],
  [5.0, 0.5, -1.0, 1.0, 0.8999999761581421, 0.993518473568, 0.001570863767, -0.025529963],
  [5.0, 0.5, -1.0, 1.0, 0.9990000128746033, 0.999938404469, 1.495124623e-05, -0.0002428010324],
  [5.0, 0.5, -1.0, 1.0, 0.9999999403953552, 0.99999999633, 8.907493569e-10, -1.4465232e-08],
  [-30.0, 1.0, -1.0, 1.0, 0.0, -1.0, 0.0, 0.0],
  [-30.0, 1.0, -1.0, 1.0, 5.960464477539063e-08, -0.999999997947, 7.062221119e-11, 4.100941516e-09],
  [-30.0, 1.0, -1.0, 1.0, 0.0010000000474974513, -0.999965540884, 1.185434824e-06, 6.883672547e-05],
  [-30.0, 1.0, -1.0, 1.0, 0.10000000149011612, -0.99637140987, 0.0001248124299, 0.007248150598],
  [-30.0, 1.0, -1.0, 1.0, 0.5, -0.976136487979, 0.0008202617608, 0.04765110308],
  [-30.0, 1.0, -1.0, 1.0, 0.8999999761581421, -0.920802485005, 0.002717098513, 0.1579933719],
  [-30.0, 1.0, -1.0, 1.0, 0.9990000128746033, -0.763049074335, 0.008085573261, 0.4714325502],
  [-30.0, 1.0, -1.0, 1.0, 0.9999999403953552, -0.432578740106, 0.01914668189, 1.122675035],
  [0.0, 1.0, 0.0, 3.0, 0.0, 0.0, -0.0, 0.0],
  [0.0, 1.0, 0.0, 3.0, 5.960464477539063e-08, 7.45016601528e-08, 5.894249421e-08, 7.251521678e-08],
  [0.0, 1.0, 0.0, 3.0, 0.0010000000474974513, 0.00124993082958, 0.0009881106591, 0.001216603812],
  [0.0, 1.0, 0.0, 3.0, 0.10000000149011612, 0.125320304646, 0.09178519241, 0.1219613323],
  [0.0, 1.0, 0.0, 3.0, 0.5, 0.672367295063, 0.3662245366, 0.6514775311],
  [0.0, 1.0, 0.0, 3.0, 0.8999999761581421, 1.63318620583, 0.5825720851, 1.519361953],
  [0.0, 1.0, 0.0, 3.0, 0.9990000128746033, 2.90291383334, 0.1823092871, 0.652607932],
  [0.0, 1.0, 0.0, 3.0, 0.9999999403953552, 2.99999329364, 1.481312217e-05, 5.38290018e-05],
  [2.0, 0.10000000149011612, -1.0, 1.0, 0.0, -1.0, -4.8209453e-317, 6.7112385e-317],
  [2.0, 0.10000000149011612, -1.0, 1.0, 5.960464477539063e-08, 0.846784002543, 0.1307947456, -2.840107388],
  [2.0, 0.10000000149011612, -1.0, 1.0, 0.0010000000474974513, 0.933747158466, 0.0610558986, -1.273087382],
  [2.0, 0.10000000149011612, -1.0, 1.0, 0.10000000149011612, 0.977447318366, 0.02164805348, -0.4420073446],
  [2.0, 0.10000000149011612, -1.0, 1.0, 0.5, 0.993158816191, 0.006666410515, -0.1350759412],
  [2.0, 0.10000000149011612, -1.0, 1.0, 0.8999999761581421, 0.998957162698, 0.001021917061, -0.02064754332],
  [2.0, 0.10000000149011612, -1.0, 1.0, 0.9990000128746033, 0.999990092361, 9.718629822e-06, -0.0001962626843],
  [2.0, 0.10000000149011612, -1.0, 1.0, 0.9999999403953552, 0.99999999941, 5.790016559e-10, -1.169258105e-08],
  [0.5, 50.0, -1.0, 1.0, 0.0, -1.0, -0.0, 0.0],
  [0.5, 50.0, -1.0, 1.0, 5.960464477539063e-08, -0.999999880751, 4.77027904e-11, -1.590067498e-12],
  [0.5, 50.0, -1.0, 1.0, 0.0010000000474974513, -0.997999334311, 7.995186118e-07, -2.662886741e-08],
  [0.5, 50.0, -1.0, 1.0, 0.10000000149011612, -0.799944790835, 7.201891331e-05, -2.208494757e-06],
  [0.5, 50.0, -1.0, 1.0, 0.5, 9.99900000002e-05, 0.0001999799973, -3.9992e-06],
  [0.5, 50.0, -1.0, 1.0, 0.8999999761581421, 0.800016749689, 7.198820901e-05, -6.717896374e-07],
  [0.5, 50.0, -1.0, 1.0, 0.9990000128746033, 0.998000159459, 7.990828583e-07, -5.347532252e-09],
  [0.5, 50.0, -1.0, 1.0, 0.9999999403953552, 0.999999880799, 4.767735604e-11, -3.177897845e-13],
  [0.0, 1.0, -2.0, 0.5, 0.0, -2.0, -0.0, 0.0],
  [0.0, 1.0, -2.0, 0.5, 5.960464477539063e-08, -1.99999926176, 1.147414154e-06, -2.528263895e-06],
  [0.0, 1.0, -2.0, 0.5, 0.0010000000474974513, -1.98776497916, 0.01871226865, -0.04109868508],
  [0.0, 1.0, -2.0, 0.5, 0.10000000149011612, -1.34309031338, 0.4823505488, -0.8514963607],
  [0.0, 1.0, -2.0, 0.5, 0.5, -0.366204354372, 0.4557895816, -0.4574082516],
  [0.0, 1.0, -2.0, 0.5, 0.8999999761581421, 0.317561508968, 0.15044448, -0.07163268822],
  [0.0, 1.0, -2.0, 0.5, 0.9990000128746033, 0.498101526217, 0.001792818497, -0.0006190451106],
  [0.0, 1.0, -2.0, 0.5, 0.9999999403953552, 0.499999886787, 1.070704484e-07, -3.682607187e-08],
  [-0.25, 0.800000011920929, -1.0, 1.0, 0.0, -1.0, 0.0, 0.0],
  [-0.25, 0.800000011920929, -1.0, 1.0, 5.960464477539063e-08, -0.999999857794, 1.989629957e-07, -7.699307252e-08],
  [-0.25, 0.800000011920929, -1.0, 1.0, 0.0010000000474974513, -0.997617508277, 0.00332432366, -0.001279836105],
  [-0.25, 0.800000011920929, -1.0, 1.0, 0.10000000149011612, -0.787285175539, 0.2363664574, -0.04811466756],
  [-0.25, 0.800000011920929, -1.0, 1.0, 0.5, -0.134125171813, 0.5253412366, 0.2171690084],
  [-0.25, 0.800000011920929, -1.0, 1.0, 0.8999999761581421, 0.629686110556, 0.3960220325, 0.4507744197],
  [-0.25, 0.800000011920929, -1.0, 1.0, 0.9990000128746033, 0.994815267217, 0.008882262414, 0.01280314831],
  [-0.25, 0.800000011920929, -1.0, 1.0, 0.9999999403953552, 0.999999689394, 5.360680134e-07, 7.748199853e-07],
];
const REF_LOGPROB: readonly (readonly number[])[] = [
  [0.30000001192092896, 0.5, -1.0, 1.0, -1.0, -3.51650342941, -4.902280477, 12.05562009],
  [0.30000001192092896, 0.5, -1.0, 1.0, -0.4000000059604645, -1.11650341748, -2.502280501, 2.455620043],
  [0.30000001192092896, 0.5, -1.0, 1.0, 0.0, -0.316503381722, -0.9022804775, -0.7443801002],
  [0.30000001192092896, 0.5, -1.0, 1.0, 0.9399999976158142, -0.955703330796, 2.857719513, 1.812419696],
  [0.30000001192092896, 0.5, -1.0, 1.0, 1.0, -1.11650333404, 3.097719523, 2.455619709],
  [0.9990000128746033, 0.10000000149011612, -1.0, 1.0, -1.0, -197.731199843, -191.9847018, 3986.080025],
  [0.9990000128746033, 0.10000000149011612, -1.0, 1.0, -0.4000000059604645, -95.7912029421, -131.9847042, 1947.280117],
  [0.9990000128746033, 0.10000000149011612, -1.0, 1.0, 0.0, -47.8312030226, -91.98470478, 988.0801332],
  [0.9990000128746033, 0.10000000149011612, -1.0, 1.0, 0.9399999976158142, 1.89479669163, 2.015292179, -6.439846291],
  [0.9990000128746033, 0.10000000149011612, -1.0, 1.0, 1.0, 2.06879677776, 8.015292238, -9.919847962],
  [-0.9999989867210388, 0.10000000149011612, -1.0, 1.0, -1.0, 2.07678564063, -7.97888231, -9.999919003],
  [-0.9999989867210388, 0.10000000149011612, -1.0, 1.0, -0.4000000059604645, -15.9231526686, 52.02111531, 349.9988418],
  [-0.9999989867210388, 0.10000000149011612, -1.0, 1.0, 0.0, -47.9231115414, 92.02111471, 989.9980097],
  [-0.9999989867210388, 0.10000000149011612, -1.0, 1.0, 0.9399999976158142, -186.103011713, 186.0211117, 3753.595972],
  [-0.9999989867210388, 0.10000000149011612, -1.0, 1.0, 1.0, -197.923005743, 192.0211117, 3989.995849],
  [0.0, 2.0999999046325684, -1.0, 1.0, -1.0, -0.769300140476, -0.2267573902, 0.07306278517],
  [0.0, 2.0999999046325684, -1.0, 1.0, -0.4000000059604645, -0.674062037128, -0.09070295744, -0.01764017452],
  [0.0, 2.0999999046325684, -1.0, 1.0, 0.0, -0.655921445371, 0.0, -0.03491692936],
  [0.0, 2.0999999046325684, -1.0, 1.0, 0.9399999976158142, -0.756102859857, 0.2131519463, 0.06049394591],
  [0.0, 2.0999999046325684, -1.0, 1.0, 1.0, -0.769300140476, 0.2267573902, 0.07306278517],
  [0.699999988079071, 0.10000000149011612, -1.0, 1.0, -1.0, -143.114996312, -169.9556154, 2880.132966],
  [0.699999988079071, 0.10000000149011612, -1.0, 1.0, -0.4000000059604645, -59.1150001868, -109.9556177, 1200.133068],
  [0.699999988079071, 0.10000000149011612, -1.0, 1.0, 0.0, -23.1150010809, -69.95561834, 480.1330967],
  [0.699999988079071, 0.10000000149011612, -1.0, 1.0, 0.9399999976158142, -1.49500278853, 24.04437862, 47.73313729],
  [0.699999988079071, 0.10000000149011612, -1.0, 1.0, 1.0, -3.115002869, 30.04437868, 80.13313842],
  [5.0, 0.5, -1.0, 1.0, -1.0, -37.2123541927, -7.757263776, 156.0581102],
  [5.0, 0.5, -1.0, 1.0, -0.4000000059604645, -23.5323543215, -5.357263799, 101.3381107],
  [5.0, 0.5, -1.0, 1.0, 0.0, -15.2123541927, -3.757263776, 68.0581102],
  [5.0, 0.5, -1.0, 1.0, 0.9399999976158142, 1.82044576855, 0.002736214935, -0.0730896409],
  [5.0, 0.5, -1.0, 1.0, 1.0, 2.78764580727, 0.2427362245, -3.941889796],
  [-30.0, 1.0, -1.0, 1.0, -1.0, 3.36848137653, -0.03440123774, -1.997635894],
  [-30.0, 1.0, -1.0, 1.0, -0.4000000059604645, -14.211518447, 0.5655987563, 33.16236375],
  [-30.0, 1.0, -1.0, 1.0, 0.0, -26.1315186235, 0.9655987623, 57.00236411],
  [-30.0, 1.0, -1.0, 1.0, 0.9399999976158142, -54.7733185497, 1.90559876, 114.285964],
  [-30.0, 1.0, -1.0, 1.0, 1.0, -56.6315186235, 1.965598762, 118.0023641],
  [0.0, 1.0, 0.0, 3.0, 0.0, -0.223087905559, -0.7911568261, -0.9733369247],
  [0.0, 1.0, 0.0, 3.0, 0.8999999761581421, -0.628087884102, 0.1088431501, -0.1633369676],
  [0.0, 1.0, 0.0, 3.0, 1.5, -1.34808790556, 0.7088431739, 1.276663075],
  [0.0, 1.0, 0.0, 3.0, 2.9100000858306885, -4.45713815533, 2.11884326, 7.494763575],
  [0.0, 1.0, 0.0, 3.0, 3.0, -4.72308790556, 2.208843174, 8.026663075],
  [2.0, 0.10000000149011612, -1.0, 1.0, -1.0, -395.385056398, -199.0190617, 7980.190319],
  [2.0, 0.10000000149011612, -1.0, 1.0, -0.4000000059604645, -233.385062657, -139.0190641, 4740.190493],
  [2.0, 0.10000000149011612, -1.0, 1.0, 0.0, -145.385063849, -99.01906468, 2980.190543],
  [2.0, 0.10000000149011612, -1.0, 1.0, 0.9399999976158142, -1.56506838776, -5.019067721, 103.7906764],
  [2.0, 0.10000000149011612, -1.0, 1.0, 1.0, 4.61493168078, 0.9809323391, -19.8093231],
  [0.5, 50.0, -1.0, 1.0, -1.0, -0.693480522337, -0.0004000266652, 1.333400884e-05],
  [0.5, 50.0, -1.0, 1.0, -0.4000000059604645, -0.693192522339, -0.0001600266676, 1.814008929e-06],
  [0.5, 50.0, -1.0, 1.0, 0.0, -0.693080522337, -2.66652444e-08, -2.665991156e-06],
  [0.5, 50.0, -1.0, 1.0, 0.9399999976158142, -0.693069242337, 0.0003759733338, -3.117191173e-06],
  [0.5, 50.0, -1.0, 1.0, 1.0, -0.693080522337, 0.0003999733348, -2.665991156e-06],
  [0.0, 1.0, -2.0, 0.5, -2.0, -2.51653722087, -1.554256222, 3.424718648],
  [0.0, 1.0, -2.0, 0.5, -1.25, -1.29778722087, -0.8042562217, 0.987218648],
  [0.0, 1.0, -2.0, 0.5, -0.75, -0.797787220866, -0.3042562217, -0.01278135201],
  [0.0, 1.0, -2.0, 0.5, 0.42500001192092896, -0.606849725932, 0.8707437902, -0.3946563419],
  [0.0, 1.0, -2.0, 0.5, 0.5, -0.641537220866, 0.9457437783, -0.325281352],
  [-0.25, 0.800000011920929, -1.0, 1.0, -1.0, -0.869541671898, -1.399120643, 0.5414204265],
  [-0.25, 0.800000011920929, -1.0, 1.0, -0.4000000059604645, -0.447666685868, -0.4616206801, -0.5132670229],
  [-0.25, 0.800000011920929, -1.0, 1.0, 0.0, -0.47891668354, 0.1633793106, -0.4351420299],
  [-0.25, 0.800000011920929, -1.0, 1.0, 0.9399999976158142, -1.53641664759, 1.632129263, 2.208607841],
  [-0.25, 0.800000011920929, -1.0, 1.0, 1.0, -1.65079164861, 1.725879264, 2.494545339],
];
const REF_ENTROPY: readonly (readonly number[])[] = [
  [0.30000001192092896, 0.5, -1.0, 1.0, 0.502598406778, -0.4092036077, 0.9502130638],
  [0.9990000128746033, 0.10000000149011612, -1.0, 1.0, -1.57280437228, -3.989368051, 9.960106685],
  [-0.9999989867210388, 0.10000000149011612, -1.0, 1.0, -1.57678968305, 3.989422745, 9.999959427],
  [0.0, 2.0999999046325684, -1.0, 1.0, 0.692584219534, 0.0, 0.00106422117],
  [0.699999988079071, 0.10000000149011612, -1.0, 1.0, -0.891654111761, -0.2221873252, 9.333437859],
  [5.0, 0.5, -1.0, 1.0, -1.80217335833, -0.2359671798, 3.887737438],
  [-30.0, 1.0, -1.0, 1.0, -2.36966342935, 0.03432019596, 1.995285683],
  [0.0, 1.0, 0.0, 3.0, 0.709756367891, 0.3661311371, 0.8663291635],
  [2.0, 0.10000000149011612, -1.0, 1.0, -3.62446551124, -0.9627350601, 19.62735031],
  [0.5, 50.0, -1.0, 1.0, 0.693147172116, -2.666382209e-08, 6.75464803e-10],
  [0.0, 1.0, -2.0, 0.5, 0.804177896869, -0.2218626397, 0.3415877417],
  [-0.25, 0.800000011920929, -1.0, 1.0, 0.652973498085, 0.1265396037, 0.1729261862],
];
const REF_SPECIAL: Record<SpecialFn, readonly (readonly [number, number])[]> = {
  erf: [[0.0, 0.0], [9.999999974752427e-07, 1.12837916425e-06], [0.0010000000474974513, 0.00112837884456], [0.10000000149011612, 0.112462917683], [0.30000001192092896, 0.328626771753], [0.49000000953674316, 0.511668269653], [0.5, 0.520499877813], [0.699999988079071, 0.677801185597], [1.0, 0.84270079295], [1.5, 0.966105146475], [2.0, 0.995322265019], [3.0, 0.999977909503], [4.0, 0.999999984583], [5.0, 0.999999999998], [6.0, 1.0], [7.0, 1.0], [8.0, 1.0], [9.0, 1.0], [-0.30000001192092896, -0.328626771753], [-2.0, -0.995322265019]],
  erfc: [[0.0, 1.0], [9.999999974752427e-07, 0.999998871621], [0.0010000000474974513, 0.998871621155], [0.10000000149011612, 0.887537082317], [0.30000001192092896, 0.671373228247], [0.49000000953674316, 0.488331730347], [0.5, 0.479500122187], [0.699999988079071, 0.322198814403], [1.0, 0.15729920705], [1.5, 0.0338948535247], [2.0, 0.00467773498105], [3.0, 2.20904969986e-05], [4.0, 1.54172579003e-08], [5.0, 1.53745979443e-12], [6.0, 2.15197367125e-17], [7.0, 4.18382560778e-23], [8.0, 1.1224297173e-29], [9.0, 4.13703174651e-37], [-0.30000001192092896, 1.32862677175], [-2.0, 1.99532226502]],
  erfcx: [[0.0, 1.0], [9.999999974752427e-07, 0.999998871622], [0.0010000000474974513, 0.998872620028], [0.10000000149011612, 0.896456978555], [0.30000001192092896, 0.734599326371], [0.49000000953674316, 0.620853385315], [0.5, 0.615690344193], [0.699999988079071, 0.525930342023], [1.0, 0.427583576156], [1.5, 0.321585416454], [2.0, 0.255395676311], [3.0, 0.179001151181], [4.0, 0.136999457625], [5.0, 0.110704637733], [6.0, 0.0927765678005], [7.0, 0.0798000543292], [8.0, 0.0699851662009], [9.0, 0.0623077240378], [10.0, 0.0561409927438], [14.0, 0.0401972286502], [20.0, 0.0281743487411], [50.0, 0.0112815362653], [100.0, 0.00564161378299], [1000.0, 0.000564189301453], [100000.0, 5.6418958352e-06]],
  ndtr: [[-13.0, 6.11716439955e-39], [-10.0, 7.61985302416e-24], [-5.0, 2.86651571879e-07], [-3.0, 0.00134989803163], [-2.0, 0.0227501319482], [-1.0, 0.158655253931], [-0.5, 0.308537538726], [-0.0010000000474974513, 0.499601057767], [0.0, 0.5], [0.0010000000474974513, 0.500398942233], [0.5, 0.691462461274], [1.0, 0.841344746069], [2.0, 0.977249868052], [3.0, 0.998650101968], [5.0, 0.999999713348]],
  logNdtr: [[-13.0, -87.989719971], [-10.0, -53.2312851505], [-5.0, -15.064998394], [-3.0, -6.60772622151], [-2.0, -3.78318433368], [-1.0, -1.84102164501], [-0.5, -1.17591176159], [-0.0010000000474974513, -0.693945383505], [0.0, -0.69314718056], [0.0010000000474974513, -0.692349614235], [0.5, -0.368946415289], [1.0, -0.172753779023], [2.0, -0.023012909329], [3.0, -0.00135080996475], [5.0, -2.86651612964e-07], [-20.0, -203.917155371], [-40.0, -804.608442014], [-100.0, -5005.52420869], [-1000.0, -500007.826695]],
  ndtri: [[9.99999991097579e-38, -12.7845566673], [1.0000000031710769e-30, -11.4640246882], [9.999999682655225e-21, -9.26234009319], [1.000000013351432e-10, -6.36134090035], [1.0000000116860974e-07, -5.19933758002], [9.999999747378752e-06, -4.26489079956], [0.0010000000474974513, -3.09023229206], [0.009999999776482582, -2.32634788243], [0.024000000208616257, -1.97736842449], [0.024250000715255737, -1.97296103876], [0.02500000037252903, -1.95996397817], [0.05000000074505806, -1.64485361973], [0.10000000149011612, -1.28155155705], [0.20000000298023224, -0.841621222928], [0.30000001192092896, -0.524400478422], [0.4000000059604645, -0.253347087708], [0.44999998807907104, -0.125661376973], [0.49000000953674316, -0.0250688843461], [0.49900001287460327, -0.00250659862763], [0.5, 0.0], [0.6000000238418579, 0.253347164848], [0.8999999761581421, 1.28155142969], [0.9700000286102295, 1.88079402863], [0.9900000095367432, 2.32634823186], [0.9990000128746033, 3.09023612985], [0.9998999834060669, 3.71897456876]],
  ndtriLog: [[-10000.0, -141.379839873], [-2000.0, -63.1654186088], [-700.0, -37.2950796326], [-300.0, -24.3264389066], [-100.0, -13.888476033], [-87.0, -12.924091345], [-50.0, -9.67482528361], [-20.0, -5.87920935649], [-10.0, -3.91394624053], [-4.0, -2.08984998297], [-3.7200000286102295, -1.97324255442], [-3.0, -1.64692172053], [-1.0, -0.337474963764], [-0.10000000149011612, 1.30961779149]],
};

// ---- helpers -------------------------------------------------------------------------------------------------------

/** |actual - expected| <= tol(i) elementwise; names the first bad element with its inputs. */
function expectWithin(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: (i: number) => number, what: string, ctx: (i: number) => string = () => ''): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let bad = 0;
  let first = -1;
  for (let i = 0; i < actual.length; i++) {
    const ok = Math.abs(actual[i] - expected[i]) <= tol(i);
    if (!ok) {
      bad++;
      if (first < 0) first = i;
    }
  }
  if (bad) {
    throw new Error(
      `${what}: ${bad}/${actual.length} elements beyond tolerance; first at [${first}]: got ${actual[first]}, expected ${expected[first]} ` +
        `(|diff| ${Math.abs(actual[first] - expected[first])} > ${tol(first)}) ${ctx(first)}`,
    );
  }
}

const col = (rows: readonly (readonly number[])[], k: number) => Float32Array.from(rows, (r) => r[k]);

/** The rows of a reference table grouped by their (lo, hi) columns (the kernels take scalar bounds). */
function byBounds(rows: readonly (readonly number[])[], loCol: number): [number, number, (readonly number[])[]][] {
  const groups = new Map<string, [number, number, (readonly number[])[]]>();
  for (const r of rows) {
    const k = `${r[loCol]},${r[loCol + 1]}`;
    if (!groups.has(k)) groups.set(k, [r[loCol], r[loCol + 1], []]);
    groups.get(k)![2].push(r);
  }
  return [...groups.values()];
}

/** Both backends' results of f. */
function onBoth<T>(f: (d: Device) => T, g: Device): [T, T] {
  return [f(cpu), f(g)];
}

// Tolerances against the 500-digit references (CPU reference, f32 throughout), with their reasons:
// - erfc(z) = t exp(P(t) - z^2): P's fit error 1.2e-7 plus f32 rounding, and the rounding of z^2 inside exp, which
//   gives a relative z^2 * 2^-24; Phi adds the rounding of z = x / sqrt 2 (relative x^2 2^-24 in all).
// - erf, erfcx, Phi^-1: ~1e-7 approximations evaluated in f32: 5e-7 relative.
// - log Phi: relative 3e-7 (the log of a 1e-7-accurate value), absolute 3e-7 near 0.
const SPECIAL_TOL: Record<SpecialFn, (x: number, v: number) => number> = {
  erf: (_x, v) => 3e-7 * Math.abs(v),
  erfc: (x, v) => (3e-7 + 1.2e-7 * x * x) * Math.abs(v),
  erfcx: (_x, v) => 5e-7 * Math.abs(v),
  ndtr: (x, v) => (3e-7 + 1.2e-7 * x * x) * Math.abs(v),
  logNdtr: (_x, v) => 3e-7 * (1e-3 + Math.abs(v)),
  ndtri: (_x, v) => 5e-7 * Math.abs(v) + 1e-12,
  ndtriLog: (_x, v) => 5e-7 * Math.abs(v),
};
/** On the GPU add WGSL's exp/log accuracy (exp: 3 + 2|x| ulp; log: 2^-21 absolute near 1). */
const GPU_SPECIAL_TOL: Record<SpecialFn, (x: number, v: number) => number> = {
  erf: (x, v) => 1e-6 * Math.abs(v),
  erfc: (x, v) => (1e-6 + 3e-7 * x * x) * Math.abs(v),
  erfcx: (_x, v) => 1e-6 * Math.abs(v),
  ndtr: (x, v) => (1e-6 + 3e-7 * x * x) * Math.abs(v),
  logNdtr: (_x, v) => 1e-6 * (1e-3 + Math.abs(v)),
  ndtri: (_x, v) => 2e-6 * Math.abs(v) + 1e-12,
  ndtriLog: (_x, v) => 2e-6 * Math.abs(v),
};

async function checkSpecial(d: Device, tol: Record<SpecialFn, (x: number, v: number) => number>): Promise<void> {
  for (const [fn, rows] of Object.entries(REF_SPECIAL) as [SpecialFn, readonly (readonly [number, number])[]][]) {
    const xs = col(rows, 0);
    const got = await read(normalSpecial(tensor(d, xs), fn));
    expectWithin(got, col(rows, 1), (i) => tol[fn](xs[i], rows[i][1]), `${fn} on ${d.backend}`, (i) => `at x = ${xs[i]}`);
  }
}

async function checkReferences(d: Device, slack: number): Promise<void> {
  // Samples and their Jacobian (dx = 1). x: the f32 sum mean + std xi carries ~1e-7 (1 + |mean|) absolute error;
  // the Jacobian's relative error grows like 1e-7 (1 + |alpha|) in the one-sided tails (xi's own rounding), so
  // 4e-6 (1 + |ref|) covers alpha up to 30 with a margin. A wrong formula is off by O(1).
  for (const [lo, hi, rows] of byBounds(REF_SAMPLE, 2)) {
    const [u, m, s] = [col(rows, 4), col(rows, 0), col(rows, 1)];
    const T = (a: Float32Array) => tensor(d, a, [a.length]);
    const x = await read(truncNormalSample(T(u), T(m), T(s), { lo, hi }));
    const g = truncNormalSampleGrad(T(new Float32Array(u.length).fill(1)), T(u), T(m), T(s), { lo, hi });
    const ctx = (i: number) => `(mean ${m[i]}, std ${s[i]}, [${lo}, ${hi}], u ${u[i]})`;
    expectWithin(x, col(rows, 5), (i) => slack * 1e-6 * (1 + Math.abs(m[i])), 'sample', ctx);
    expectWithin(await read(g.dmean), col(rows, 6), (i) => slack * 4e-6 * (1 + Math.abs(rows[i][6])), 'dx/dmean', ctx);
    expectWithin(await read(g.dstd), col(rows, 7), (i) => slack * 4e-6 * (1 + Math.abs(rows[i][7])), 'dx/dstd', ctx);
  }
  // log p and entropy with their gradients (A = 1 so each row is one element): relative 1e-6 (terms like
  // xi^2 / 2 ~ 200 are rounded to f32) plus 1e-6 absolute.
  const tol = (v: number) => slack * 1e-6 * (1 + Math.abs(v));
  for (const [lo, hi, rows] of byBounds(REF_LOGPROB, 2)) {
    const [x, m, s] = [col(rows, 4), col(rows, 0), col(rows, 1)];
    const T = (a: Float32Array) => tensor(d, a, [a.length, 1]);
    const ctx = (i: number) => `(x ${x[i]}, mean ${m[i]}, std ${s[i]}, [${lo}, ${hi}])`;
    expectWithin(await read(truncNormalLogProb(T(x), T(m), T(s), { lo, hi })), col(rows, 5), (i) => tol(rows[i][5]), 'log p', ctx);
    const g = truncNormalLogProbGrad(tensor(d, new Float32Array(x.length).fill(1), [x.length]), T(x), T(m), T(s), { lo, hi });
    expectWithin(await read(g.dmean), col(rows, 6), (i) => tol(rows[i][6]), 'd log p / dmean', ctx);
    expectWithin(await read(g.dstd), col(rows, 7), (i) => tol(rows[i][7]), 'd log p / dstd', ctx);
  }
  for (const [lo, hi, rows] of byBounds(REF_ENTROPY, 2)) {
    const [m, s] = [col(rows, 0), col(rows, 1)];
    const T = (a: Float32Array) => tensor(d, a, [a.length, 1]);
    const ctx = (i: number) => `(mean ${m[i]}, std ${s[i]}, [${lo}, ${hi}])`;
    expectWithin(await read(truncNormalEntropy(T(m), T(s), { lo, hi })), col(rows, 4), (i) => tol(rows[i][4]), 'entropy', ctx);
    const g = truncNormalEntropyGrad(tensor(d, new Float32Array(m.length).fill(1), [m.length]), T(m), T(s), { lo, hi });
    expectWithin(await read(g.dmean), col(rows, 5), (i) => tol(rows[i][5]), 'dH/dmean', ctx);
    expectWithin(await read(g.dstd), col(rows, 6), (i) => tol(rows[i][6]), 'dH/dstd', ctx);
  }
}

/**
 * Parameters of n elements in a regime: 'dreamer' (mean in (-1, 1), std in [0.1, 2.1]), 'edge' (the same with
 * 40% of the means at +-0.999999 / +-0.999 / 0 and 40% of the stds at exactly 0.1 or 2.1), 'wide' (means in
 * [-40, 40], stds log-uniform in [0.01, 50]: one-sided intervals far out, nearly uniform ones).
 */
function params(n: number, seed: number, regime: 'dreamer' | 'edge' | 'wide'): { m: Float32Array; s: Float32Array } {
  if (regime === 'wide') {
    const m = randomArray(n, seed, -40, 40);
    const s = randomArray(n, seed + 1, Math.log(0.01), Math.log(50)).map(Math.exp);
    return { m, s };
  }
  const m = randomArray(n, seed, -1, 1);
  const s = randomArray(n, seed + 1, 0.1, 2.1);
  if (regime === 'edge') {
    const pick = randomArray(n, seed + 2, 0, 1);
    const edges = [0.999999, -0.999999, 0.999, -0.999, 0].map(f32);
    for (let i = 0; i < n; i++) {
      if (pick[i] < 0.4) m[i] = edges[Math.floor(pick[i] * 12.5)];
      if (pick[i] > 0.6) s[i] = pick[i] > 0.8 ? f32(0.1) : f32(2.1);
    }
  }
  return { m, s };
}

/** Uniforms as randomUniform draws them, with the extremes 0, 2^-24 and 1 - 2^-24 mixed in. */
async function uniforms(n: number, seed: number): Promise<Float32Array> {
  const u = await read(randomUniform(cpu, [n], { seed }));
  const ext = [0, 2 ** -24, 1 - 2 ** -24];
  for (let i = 0; i < n; i += 7) u[i] = ext[(i / 7) % 3];
  return u;
}

// ---- CPU -----------------------------------------------------------------------------------------------------------

describe('truncated normal on the CPU reference', () => {
  it('special functions match 500-digit values', async () => {
    await checkSpecial(cpu, SPECIAL_TOL);
  });

  it('samples, log p, entropy and all their gradients match 500-digit values in every regime', async () => {
    await checkReferences(cpu, 1);
  });

  test.prop([fc.double({ min: -40, max: 40, noNaN: true }), fc.double({ min: -4.6, max: 4, noNaN: true }), fc.constantFrom([-1, 1], [0, 3], [-2, 0.5], [-0.3, 0.2]), fc.integer()], {
    numRuns: 60,
  })('the sample is the inverse CDF: non-decreasing in u, inside [lo, hi], at lo for u = 0', async (mean, logStd, [lo, hi], seed) => {
    const n = 64;
    const u = (await uniforms(n, seed)).sort();
    u[0] = 0;
    const m = new Float32Array(n).fill(mean);
    const s = new Float32Array(n).fill(Math.exp(logStd));
    const x = await read(truncNormalSample(tensor(cpu, u), tensor(cpu, m), tensor(cpu, s), { lo, hi }));
    expect(Math.abs(x[0] - lo)).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(mean))); // mean + std alpha
    for (let i = 0; i < n; i++) {
      expect(x[i]).toBeGreaterThanOrEqual(f32(lo));
      expect(x[i]).toBeLessThanOrEqual(f32(hi));
      if (i > 0) expect(x[i], `u ${u[i - 1]} -> ${x[i - 1]}, u ${u[i]} -> ${x[i]}`).toBeGreaterThanOrEqual(x[i - 1] - 1e-6 * (1 + Math.abs(mean)));
    }
  });

  it('log p and entropy sum over the last axis: [..., A] -> [...]', async () => {
    const shape = [2, 3, 4];
    const { m, s } = params(24, 5, 'edge');
    const x = randomArray(24, 6, -1, 1);
    const lp = truncNormalLogProb(tensor(cpu, x, shape), tensor(cpu, m, shape), tensor(cpu, s, shape));
    const h = truncNormalEntropy(tensor(cpu, m, shape), tensor(cpu, s, shape));
    expect(lp.shape).toEqual([2, 3]);
    expect(h.shape).toEqual([2, 3]);
    const lp1 = await read(truncNormalLogProb(tensor(cpu, x, [24, 1]), tensor(cpu, m, [24, 1]), tensor(cpu, s, [24, 1])));
    const h1 = await read(truncNormalEntropy(tensor(cpu, m, [24, 1]), tensor(cpu, s, [24, 1])));
    const sum4 = (v: Float32Array) => Array.from({ length: 6 }, (_, r) => v[4 * r] + v[4 * r + 1] + v[4 * r + 2] + v[4 * r + 3]);
    expectClose(await read(lp), sum4(lp1), { atol: 1e-5, rtol: 1e-6 }, 'log p');
    expectClose(await read(h), sum4(h1), { atol: 1e-6, rtol: 1e-6 }, 'entropy');
    // rank 1 -> a scalar; zero rows -> empty
    expect(truncNormalEntropy(tensor(cpu, [0.1, 0.2]), tensor(cpu, [1, 1])).shape).toEqual([]);
    expect(truncNormalEntropy(tensor(cpu, new Float32Array(0), [0, 3]), tensor(cpu, new Float32Array(0), [0, 3])).shape).toEqual([0]);
  });

  it('clip clamps the forward to [lo + clip, hi - clip]; the gradient is straight through', async () => {
    const u = new Float32Array([0, 2 ** -24, 0.5, 1 - 2 ** -24]);
    const m = new Float32Array(4).fill(f32(0.999));
    const s = new Float32Array(4).fill(f32(0.1));
    const T = (a: Float32Array) => tensor(cpu, a);
    const raw = await read(truncNormalSample(T(u), T(m), T(s)));
    const clipped = await read(truncNormalSample(T(u), T(m), T(s), { clip: 1e-6 }));
    const lo = f32(-1 + f32(1e-6));
    const hi = f32(1 - f32(1e-6));
    expect(Math.abs(raw[0] + 1)).toBeLessThan(1e-6); // mean + std alpha, alpha = (-1 - mean) / std in f32
    expect(clipped[0]).toBe(lo);
    for (let i = 0; i < 4; i++) expect(clipped[i]).toBe(Math.min(Math.max(raw[i], lo), hi));
    expect(clipped[3]).toBeLessThanOrEqual(hi);
    // The backward has no clip: it is the same for every clip.
    const g = truncNormalSampleGrad(T(new Float32Array(4).fill(1)), T(u), T(m), T(s));
    expect(Array.from(await read(g.dmean)).every(Number.isFinite)).toBe(true);
    expect((await read(g.dmean))[0]).toBe(0); // x = lo exactly at u = 0: no dependence on the parameters
  });

  it('rejects bad input naming the op, the expected and the actual', () => {
    const a = tensor(cpu, new Float32Array(6), [2, 3]);
    const b = tensor(cpu, new Float32Array(6), [3, 2]);
    expect(() => truncNormalSample(a, a, b)).toThrow(/truncNormalSample: std must have the shape of mean \[2,3\], got \[3,2\]/);
    expect(() => truncNormalSample(b, a, a)).toThrow(/truncNormalSample: u must have the shape of mean \[2,3\], got \[3,2\]/);
    expect(() => truncNormalSample(a, a, a, { lo: 1, hi: 1 })).toThrow(/truncNormalSample: bounds must be finite numbers with lo < hi, got lo=1, hi=1/);
    expect(() => truncNormalSample(a, a, a, { hi: Infinity })).toThrow(/bounds must be finite numbers with lo < hi, got lo=-1, hi=Infinity/);
    expect(() => truncNormalSample(a, a, a, { clip: 1 })).toThrow(/truncNormalSample: clip must be a number in \[0, \(hi - lo\) \/ 2\) = \[0, 1\), got 1/);
    expect(() => truncNormalSample(tensor(cpu, new Int32Array(6), [2, 3]), a, a)).toThrow(/truncNormalSample: u must have dtype f32, got i32/);
    expect(() => truncNormalLogProb(b, a, a)).toThrow(/truncNormalLogProb: x must have the shape of mean \[2,3\], got \[3,2\]/);
    expect(() => truncNormalEntropy(tensor(cpu, [1]).reshape([]), tensor(cpu, [1]).reshape([]))).toThrow(/truncNormalEntropy: mean must have rank >= 1 \(\[\.\.\., A\]/);
    expect(() => truncNormalEntropyGrad(tensor(cpu, [1, 2, 3]), a, a)).toThrow(/truncNormalEntropyGrad: dh must have shape \[2\] \(mean's shape without the last axis\), got \[3\]/);
    expect(() => truncNormalLogProbGrad(a, a, a, a)).toThrow(/truncNormalLogProbGrad: dlp must have shape \[2\]/);
    expect(() => truncNormalSampleGrad(b, a, a, a)).toThrow(/truncNormalSampleGrad: dx must have the shape of mean \[2,3\], got \[3,2\]/);
    expect(() => normalSpecial(a, 'gamma' as SpecialFn)).toThrow(/normalSpecial: fn must be one of erf, erfc, erfcx, ndtr, logNdtr, ndtri, ndtriLog, got gamma/);
  });
});

// ---- GPU -----------------------------------------------------------------------------------------------------------

// WGSL vs the CPU reference. The differences come from the builtin exp/log (a few ulps; WGSL allows 3 + 2|x| ulps
// for exp), 2.5-ulp division and fused multiply-adds, amplified where the maths is ill-conditioned:
// - x = mean + std xi loses digits when |mean| >> |x|: scale 1 + |mean|;
// - a narrow standardised interval (hi - lo) / std makes Z = Phi(beta) - Phi(alpha) cancel: k = 1 + std / (hi - lo),
//   errors grow like k^2;
// - the sample's Jacobian near an end (dx/dstd = xi - alpha w_a with w_a ~ 1) is limited by xi's absolute precision:
//   scale 1 + xi^2.
// Measured on lavapipe over 6 x 1e5 elements (DreamerV2 and far-out parameters, three bounds), the differences
// divided by these scales are <= 2.1e-7 (x), 4.6e-7 (sample Jacobian), 2.8e-6 (log p, entropy, their gradients);
// the tolerances are 2e-6, 3e-6 and 1e-5 times the scales (row sums: times A + |value|).
const kappa2 = (s: Float32Array, b: { lo: number; hi: number }) => (i: number) => (1 + s[i] / (b.hi - b.lo)) ** 2;

const lastAxes = fc.constantFrom(1, 2, 3, 6, 7, 17);
const leading = fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 0, maxLength: 3 });
const regimes = fc.constantFrom('dreamer' as const, 'edge' as const, 'wide' as const);
const boundsArb = fc.constantFrom({ lo: -1, hi: 1 }, { lo: -1, hi: 1 }, { lo: 0, hi: 3 }, { lo: -2, hi: 0.5 }, { lo: -0.3, hi: 0.2 });

async function compareAll(g: Device, shape: number[], regime: 'dreamer' | 'edge' | 'wide', bounds: { lo: number; hi: number }, seed: number): Promise<void> {
  const n = shape.reduce((a, b) => a * b, 1);
  const rows = n / shape[shape.length - 1];
  const { m, s } = params(n, seed, regime);
  const u = await uniforms(n, seed + 3);
  const x = randomArray(n, seed + 4, bounds.lo, bounds.hi);
  const dy = randomArray(n, seed + 5, -1, 1);
  const dr = randomArray(rows, seed + 6, -1, 1);
  const lead = shape.slice(0, -1);
  const what = `${shape} ${regime} [${bounds.lo}, ${bounds.hi}]`;
  const [want, got] = onBoth((d) => {
    const T = (a: Float32Array) => tensor(d, a, shape);
    const R = tensor(d, dr, lead);
    const sg = truncNormalSampleGrad(T(dy), T(u), T(m), T(s), bounds);
    const lg = truncNormalLogProbGrad(R, T(x), T(m), T(s), bounds);
    const eg = truncNormalEntropyGrad(R, T(m), T(s), bounds);
    return {
      x: truncNormalSample(T(u), T(m), T(s), { ...bounds, clip: 1e-6 }),
      sdm: sg.dmean,
      sds: sg.dstd,
      lp: truncNormalLogProb(T(x), T(m), T(s), bounds),
      ldm: lg.dmean,
      lds: lg.dstd,
      h: truncNormalEntropy(T(m), T(s), bounds),
      hdm: eg.dmean,
      hds: eg.dstd,
    };
  }, g);
  const A = shape[shape.length - 1];
  const k2 = kappa2(s, bounds);
  const xs = await read(want.x);
  const xi2 = (i: number) => ((xs[i] - m[i]) / s[i]) ** 2;
  const rowK2 = (r: number) => Math.max(...Array.from({ length: A }, (_, c) => k2(r * A + c)));
  for (const k of Object.keys(want) as (keyof typeof want)[]) {
    const w = await read(want[k]);
    expect(got[k].shape).toEqual(want[k].shape);
    let tol: (i: number) => number;
    if (k === 'x') tol = (i) => 2e-6 * (1 + Math.abs(m[i])) * k2(i);
    else if (k === 'sdm' || k === 'sds') tol = (i) => 3e-6 * (1 + Math.abs(w[i])) * (1 + xi2(i)) * k2(i);
    else if (k === 'lp' || k === 'h') tol = (r) => 1e-5 * (A + Math.abs(w[r])) * rowK2(r);
    else tol = (i) => 1e-5 * (1 + Math.abs(w[i])) * k2(i);
    const ctx = (i: number) => (w.length === n ? `(mean ${m[i]}, std ${s[i]}, u ${u[i]})` : `(row ${i})`);
    expectWithin(await read(got[k]), w, tol, `${k} ${what}`, ctx);
  }
}

describe.runIf(hasGpu)('truncnorm kernels: WGSL equals the CPU reference', () => {
  it('special functions on the GPU match 500-digit values', async () => {
    await checkSpecial(await gpu(), GPU_SPECIAL_TOL);
  });

  it('samples, log p, entropy and their gradients on the GPU match 500-digit values', async () => {
    // The CPU tolerances doubled (the GPU's exp/log add their few ulps).
    await checkReferences(await gpu(), 2);
  });

  test.prop([leading, lastAxes, regimes, boundsArb, fc.integer({ min: 0, max: 2 ** 30 })], { numRuns: 40 })(
    'all six kernels on random shapes (1, primes), DreamerV2, edge and far-out parameters',
    async (lead, A, regime, bounds, seed) => {
      await compareAll(await gpu(), [...lead, A], regime, bounds, seed);
    },
  );

  it('large N: [70001, 6] in one dispatch per kernel', async () => {
    const g = await gpu();
    const shape = [70001, 6];
    const n = 70001 * 6;
    const { m, s } = params(n, 11, 'edge');
    const u = await uniforms(n, 12);
    const T = (d: Device, a: Float32Array) => tensor(d, a, shape);
    const args = [T(g, u), T(g, m), T(g, s)] as const;
    await g.sync();
    const before = g.stats().dispatches;
    const t0 = performance.now();
    const x = truncNormalSample(...args, { clip: 1e-6 });
    const h = truncNormalEntropy(args[1], args[2]);
    const [xg, hg] = [await read(x), await read(h)];
    const ms = performance.now() - t0;
    expect(g.stats().dispatches - before).toBe(2);
    const xc = await read(truncNormalSample(T(cpu, u), T(cpu, m), T(cpu, s), { clip: 1e-6 }));
    const hc = await read(truncNormalEntropy(T(cpu, m), T(cpu, s)));
    const k2 = kappa2(s, { lo: -1, hi: 1 });
    expectWithin(xg, xc, (i) => 2e-6 * (1 + Math.abs(m[i])) * k2(i), 'sample [70001, 6]');
    expectWithin(hg, hc, (r) => 1e-5 * (6 + Math.abs(hc[r])) * 4.2, 'entropy [70001, 6]'); // k^2 <= (1 + 2.1/2)^2
    console.log(`truncNormalSample + entropy [70001, 6]: ${ms.toFixed(1)} ms on ${g.label} (incl. readback)`);
  });
});

export type { Tensor };
