namespace Dflare.Repair;

/// <summary>
/// Ridge regression toward a prior: minimises ‖[F 1]·[W; b] − Y‖² + λ‖[W; b] − [W0; b0]‖² in closed form
/// ((F̃ᵀF̃ + λI)·Θ = F̃ᵀY + λΘ0, solved by Cholesky in double), λ = strength × mean diagonal of F̃ᵀF̃.
/// </summary>
public static class Ridge
{
    /// <summary>Fits W (K×N, row-major) and b (N) from feature rows (K each) to target rows (N each).</summary>
    /// <exception cref="DflareException">The system is singular (all-zero features and no regularisation).</exception>
    public static (float[] W, float[] B) Fit(float[][] features, float[][] targets, float[] w0, float[] b0, double strength)
    {
        int k = features[0].Length, n = targets[0].Length, d = k + 1;
        var a = new double[d, d];
        var rhs = new double[d, n];
        var x = new double[d];
        for (int s = 0; s < features.Length; s++)
        {
            for (int i = 0; i < k; i++) x[i] = features[s][i];
            x[k] = 1;
            for (int i = 0; i < d; i++)
            {
                if (x[i] == 0) continue;
                for (int j = 0; j < d; j++) a[i, j] += x[i] * x[j];
                for (int j = 0; j < n; j++) rhs[i, j] += x[i] * targets[s][j];
            }
        }
        double trace = 0;
        for (int i = 0; i < d; i++) trace += a[i, i];
        double lambda = strength * Math.Max(trace / d, 1e-12);
        for (int i = 0; i < d; i++)
        {
            a[i, i] += lambda;
            for (int j = 0; j < n; j++) rhs[i, j] += lambda * (i < k ? w0[i * n + j] : b0[j]);
        }
        var theta = Cholesky(a, rhs, d, n);
        var w = new float[k * n];
        var b = new float[n];
        for (int i = 0; i < k; i++) for (int j = 0; j < n; j++) w[i * n + j] = (float)theta[i, j];
        for (int j = 0; j < n; j++) b[j] = (float)theta[k, j];
        return (w, b);
    }

    /// <summary>Mean over rows and outputs of (x·W + b − y)².</summary>
    public static double MeanSquaredError(float[][] features, float[][] targets, float[] w, float[] b)
    {
        int k = features[0].Length, n = targets[0].Length;
        double sum = 0;
        for (int s = 0; s < features.Length; s++)
            for (int j = 0; j < n; j++)
            {
                double v = b[j];
                for (int i = 0; i < k; i++) v += features[s][i] * (double)w[i * n + j];
                sum += (v - targets[s][j]) * (v - targets[s][j]);
            }
        return sum / (features.Length * (double)n);
    }

    private static double[,] Cholesky(double[,] a, double[,] rhs, int d, int n)
    {
        var l = new double[d, d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j <= i; j++)
            {
                double s = a[i, j];
                for (int p = 0; p < j; p++) s -= l[i, p] * l[j, p];
                if (i == j)
                {
                    if (s <= 0) throw new DflareException("The ridge system is not positive definite; raise the ridge strength.");
                    l[i, i] = Math.Sqrt(s);
                }
                else l[i, j] = s / l[j, j];
            }
        var z = new double[d, n];
        for (int c = 0; c < n; c++)
        {
            for (int i = 0; i < d; i++)
            {
                double s = rhs[i, c];
                for (int p = 0; p < i; p++) s -= l[i, p] * z[p, c];
                z[i, c] = s / l[i, i];
            }
            for (int i = d - 1; i >= 0; i--)
            {
                double s = z[i, c];
                for (int p = i + 1; p < d; p++) s -= l[p, i] * z[p, c];
                z[i, c] = s / l[i, i];
            }
        }
        return z;
    }
}
