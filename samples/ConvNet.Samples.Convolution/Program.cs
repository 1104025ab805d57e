using System;
using System.Globalization;
using System.Text;
using ConvNet;
using ConvNet.Signal;

// The lecture's worked examples ("Example", "Matlab example", "Python example") and the similarity feature map.
Console.WriteLine("1-D: f = [0, 1, 2, -1, 3], g = [1, 1, 0]");
float[] f = [0, 1, 2, -1, 3];
float[] g = [1, 1, 0];
foreach (var mode in new[] { ConvolutionMode.Valid, ConvolutionMode.Full, ConvolutionMode.Same })
{
    Console.WriteLine($"  (f * g)_{mode.ToString().ToLowerInvariant(),-5} = [{string.Join(", ", Convolution.Convolve(f, g, mode))}]");
}

var a = Tensor.FromData([0, 0, 1, 2, 2, 2, 0, 0, 2, 1, 2, 2, 3, 0, 1, 1], 4, 4);
var b = Tensor.FromData([0, 0, -1, 1, -1, 1, -1, 1, 1], 3, 3);
Console.WriteLine();
Print("A", a);
Print("B", b);
Print(">> C = conv2(A,B,'full')\n\nC", Convolution.Convolve(a, b, ConvolutionMode.Full));
Print(">> D = conv2(A,B,'valid')\n\nD", Convolution.Convolve(a, b, ConvolutionMode.Valid));
Print(">> D = conv2(A,B,'same')\n\nD", Convolution.Convolve(a, b, ConvolutionMode.Same));

// Similarity: correlate a synthetic image with a mean-subtracted filter cut from it; the brightest pixel of the
// feature map is where the image looks most like the filter.
const int Size = 24;
var image = new Tensor(Size, Size);
for (int y = 0; y < Size; y++)
{
    for (int x = 0; x < Size; x++)
    {
        bool cross = (Math.Abs(x - 16) <= 3 && y == 7) || (x == 16 && Math.Abs(y - 7) <= 3);
        bool box = x >= 3 && x <= 8 && y >= 14 && y <= 19 && (x == 3 || x == 8 || y == 14 || y == 19);
        image[y, x] = cross || box ? 1f : 0.1f * (((x * 7) + (y * 13)) % 5) / 4f;
    }
}

var filter = new Tensor(7, 7);
for (int y = 0; y < 7; y++)
{
    for (int x = 0; x < 7; x++)
    {
        filter[y, x] = image[4 + y, 13 + x];
    }
}

float mean = 0;
foreach (float v in filter.AsSpan())
{
    mean += v / 49f;
}

for (int i = 0; i < 49; i++)
{
    filter.AsSpan()[i] -= mean;
}

var map = Convolution.Correlate(image, filter, ConvolutionMode.Valid);
int best = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(map.AsSpan());
Console.WriteLine();
Console.WriteLine($"Feature map: {Size}x{Size} image corr 7x7 mean-subtracted filter (a cross) = {map.Shape[0]}x{map.Shape[1]} map");
Console.WriteLine(Shade(image, "image"));
Console.WriteLine(Shade(map, "feature map (brighter = more similar)"));
Console.WriteLine($"The most similar patch starts at row {best / map.Shape[1]}, column {best % map.Shape[1]} (the cross was cut from row 4, column 13).");

static void Print(string name, Tensor t)
{
    Console.WriteLine($"{name} =\n");
    for (int i = 0; i < t.Shape[0]; i++)
    {
        var sb = new StringBuilder("   ");
        for (int j = 0; j < t.Shape[1]; j++)
        {
            sb.Append(t[i, j].ToString(CultureInfo.InvariantCulture).PadLeft(5));
        }

        Console.WriteLine(sb);
    }

    Console.WriteLine();
}

static string Shade(Tensor t, string title)
{
    const string Ramp = " .:-=+*#%@";
    float min = System.Numerics.Tensors.TensorPrimitives.Min(t.AsSpan()), max = System.Numerics.Tensors.TensorPrimitives.Max(t.AsSpan());
    var sb = new StringBuilder(title).Append('\n');
    for (int i = 0; i < t.Shape[0]; i++)
    {
        for (int j = 0; j < t.Shape[1]; j++)
        {
            int level = (int)((t[i, j] - min) / Math.Max(max - min, 1e-6f) * (Ramp.Length - 1));
            sb.Append(Ramp[level]).Append(Ramp[level]);
        }

        sb.Append('\n');
    }

    return sb.ToString();
}
