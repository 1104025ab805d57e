namespace ConvNet.Core.Tests.Infrastructure;

/// <summary>
/// A plain transcription of the lecture's convolution-layer formulas (3-D padded; 1-D/2-D use leading size-1 dims),
/// in double precision, with stride s, dilation d and zero padding:
/// y_q[o] = b_q + Σ_{p∈M_q} Σ_k xpad_p[o·s + k·d] w_qp[k];
/// ∂E/∂w_qp[k] = Σ_n Σ_o δ_q[o] xpad_p[o·s + k·d];  ∂E/∂b_q = Σ_n Σ_o δ_q[o];
/// δ_p[i] = Σ_{q∈M̃_p} Σ_{o,k: o·s + k·d = i + pad} δ_q[o] w_qp[k].
/// </summary>
public static class ConvReference
{
    public sealed record Spec(int N, int P, int Q, int[] In, int[] K, int[] S, int[] Dil, int[] PadBefore, int[] PadAfter, bool[,] Table)
    {
        public int[] Out
        {
            get
            {
                var o = new int[3];
                for (int i = 0; i < 3; i++)
                {
                    int ke = (Dil[i] * (K[i] - 1)) + 1;
                    o[i] = ((In[i] + PadBefore[i] + PadAfter[i] - ke) / S[i]) + 1;
                }

                return o;
            }
        }
    }

    public static (double[] Y, double[] Dx, double[] Dw, double[] Db) Run(Spec s, float[] x, float[] w, float[] b, float[] dy)
    {
        int[] o = s.Out;
        int inVol = s.In[0] * s.In[1] * s.In[2], outVol = o[0] * o[1] * o[2], kVol = s.K[0] * s.K[1] * s.K[2];
        var y = new double[s.N * s.Q * outVol];
        var dx = new double[s.N * s.P * inVol];
        var dw = new double[s.Q * s.P * kVol];
        var db = new double[s.Q];
        for (int n = 0; n < s.N; n++)
        {
            for (int q = 0; q < s.Q; q++)
            {
                for (int od = 0; od < o[0]; od++)
                {
                    for (int oh = 0; oh < o[1]; oh++)
                    {
                        for (int ow = 0; ow < o[2]; ow++)
                        {
                            int yi = (((((n * s.Q) + q) * o[0] + od) * o[1]) + oh) * o[2] + ow;
                            double acc = b[q];
                            double delta = dy[yi];
                            db[q] += delta;
                            for (int p = 0; p < s.P; p++)
                            {
                                if (!s.Table[q, p])
                                {
                                    continue;
                                }

                                for (int kd = 0; kd < s.K[0]; kd++)
                                {
                                    for (int kh = 0; kh < s.K[1]; kh++)
                                    {
                                        for (int kw = 0; kw < s.K[2]; kw++)
                                        {
                                            int d = (od * s.S[0]) + (kd * s.Dil[0]) - s.PadBefore[0];
                                            int h = (oh * s.S[1]) + (kh * s.Dil[1]) - s.PadBefore[1];
                                            int ww = (ow * s.S[2]) + (kw * s.Dil[2]) - s.PadBefore[2];
                                            if (d < 0 || h < 0 || ww < 0 || d >= s.In[0] || h >= s.In[1] || ww >= s.In[2])
                                            {
                                                continue;
                                            }

                                            int xi = (((((n * s.P) + p) * s.In[0] + d) * s.In[1]) + h) * s.In[2] + ww;
                                            int wi = (((((q * s.P) + p) * s.K[0] + kd) * s.K[1]) + kh) * s.K[2] + kw;
                                            acc += (double)x[xi] * w[wi];
                                            dw[wi] += delta * x[xi];
                                            dx[xi] += delta * w[wi];
                                        }
                                    }
                                }
                            }

                            y[yi] = acc;
                        }
                    }
                }
            }
        }

        return (y, dx, dw, db);
    }
}
