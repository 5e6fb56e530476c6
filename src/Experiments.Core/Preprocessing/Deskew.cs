using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Preprocessing;

/// <summary>
/// Deskewing: shear each image so that its ink stands upright, as measured by its second moments, and move its centre
/// of mass to the middle of the image. A fixed per-image transform (the model stays linear), applied to training,
/// validation and test images alike.
/// </summary>
/// <remarks>
/// <para>
/// For an image with pixel masses <c>I(r, c)</c>, the centre of mass is <c>(cy, cx)</c>, the variance of the row is
/// <c>var_y = Σ I (r - cy)² / Σ I</c> and the covariance <c>cov_xy = Σ I (r - cy)(c - cx) / Σ I</c>. The slant
/// <c>alpha = cov_xy / var_y</c> is how far the ink moves right per row down. Output pixel <c>(r, c)</c> is read at
/// input position <c>(cy + (r - h/2), cx + alpha (r - h/2) + (c - w/2))</c>: the classic deskew of the MNIST
/// literature (for example Dibya Ghosh's deskewing notes, after LeCun et al.), which uses scipy's
/// <c>affine_transform</c> with matrix <c>[[1, 0], [alpha, 1]]</c>.
/// </para>
/// <para>
/// Hand-written because no .NET library offers it; written as a batched tensor computation (moments by reductions,
/// resampling by TorchSharp's <c>grid_sample</c>, bilinear, zeros outside the image) over chunks of images, so the
/// 60,000 MNIST training images take a fraction of a second and bounded memory.
/// </para>
/// </remarks>
public static class Deskew
{
    /// <summary>Images per chunk: bounds the float copies and the sampling grid (about 80 MB for 28x28 images).</summary>
    public const int ChunkSize = 8192;

    /// <summary>Deskews uint8 images [count, rows, columns]; returns new uint8 images of the same shape (rounded).</summary>
    public static Tensor Apply(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dtype != ScalarType.Byte || images.dim() != 3)
        {
            throw new ArgumentException($"images must be a uint8 tensor [count, rows, columns], not {images.dtype} {string.Join('x', images.shape)}", nameof(images));
        }

        var count = images.shape[0];
        var result = empty_like(images);
        using var noGrad = no_grad();
        for (long start = 0; start < count; start += ChunkSize)
        {
            using var scope = NewDisposeScope();
            var length = Math.Min(ChunkSize, count - start);
            var chunk = images.narrow(0, start, length).to_type(ScalarType.Float32);
            result.narrow(0, start, length).copy_(Resample(chunk, Moments(chunk)).round_().clamp_(0, 255).to_type(ScalarType.Byte));
        }

        return result;
    }

    /// <summary>
    /// Centre of mass (rows, columns), row variance and row-column covariance of float images [n, h, w]: four
    /// tensors of [n]. An image without ink gets the image's centre and zero moments.
    /// </summary>
    public static (Tensor CentreRow, Tensor CentreColumn, Tensor RowVariance, Tensor Covariance) Moments(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var (rows, columns) = (images.shape[1], images.shape[2]);
        var rowIndex = arange(rows, dtype: ScalarType.Float32);
        var columnIndex = arange(columns, dtype: ScalarType.Float32);
        var rowMass = images.sum(2);                 // [n, h]
        var columnMass = images.sum(1);              // [n, w]
        var mass = rowMass.sum(1);                   // [n]
        var blank = mass.le(0);
        var safeMass = mass.clamp_min(1e-12);
        var centreRow = where(blank, rows / 2.0f, (rowMass * rowIndex).sum(1).div_(safeMass));
        var centreColumn = where(blank, columns / 2.0f, (columnMass * columnIndex).sum(1).div_(safeMass));
        var rowOffset = rowIndex - centreRow.unsqueeze(1);          // [n, h]
        var columnOffset = columnIndex - centreColumn.unsqueeze(1); // [n, w]
        var rowVariance = (rowMass * rowOffset.square()).sum(1).div_(safeMass);
        var covariance = ((images * columnOffset.unsqueeze(1)).sum(2) * rowOffset).sum(1).div_(safeMass);
        return (centreRow, centreColumn, rowVariance, covariance);
    }

    private static Tensor Resample(Tensor images, (Tensor CentreRow, Tensor CentreColumn, Tensor RowVariance, Tensor Covariance) moments)
    {
        var (count, rows, columns) = (images.shape[0], images.shape[1], images.shape[2]);
        var alpha = where(moments.RowVariance.gt(1e-6), moments.Covariance / moments.RowVariance.clamp_min(1e-6), 0f);
        var outputRow = (arange(rows, dtype: ScalarType.Float32) - (rows / 2.0f)).view(1, rows, 1);
        var outputColumn = (arange(columns, dtype: ScalarType.Float32) - (columns / 2.0f)).view(1, 1, columns);
        var sourceRow = (moments.CentreRow.view(count, 1, 1) + outputRow).expand(count, rows, columns);
        var sourceColumn = moments.CentreColumn.view(count, 1, 1) + (alpha.view(count, 1, 1) * outputRow) + outputColumn;

        // grid_sample takes (x, y) in [-1, 1]; with align_corners the ends are the centres of the edge pixels.
        var gridX = sourceColumn.mul(2.0f / (columns - 1)).sub_(1);
        var gridY = sourceRow.mul(2.0f / (rows - 1)).sub_(1);
        var grid = stack([gridX, gridY], dim: 3);
        var sampled = nn.functional.grid_sample(
            images.unsqueeze(1), grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, align_corners: true);
        return sampled.squeeze(1);
    }
}
