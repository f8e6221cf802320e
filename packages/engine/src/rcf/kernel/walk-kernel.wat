;; Read-only tree walks of the Random Cut Forest in WebAssembly SIMD: the AWS
;; anomaly score of a query point in one tree, and its DiVector. The same
;; operations in the same order as TreeVisitors.scoreTree / attribution
;; (visitors.ts), so the results are the same bits; visitors.ts is the
;; reference and documents the method. Where a walk reaches a leaf whose point
;; hash equals the query's (a possible duplicate), the kernel returns -1 and
;; the JS walk handles that tree.
;;
;; Memory (imported, one per forest, see walk-kernel.ts) holds the NodeStore's
;; arrays and the kernel's scratch; `setup` gives their byte addresses.
;; Gap sums over dimensions run in two lanes: even dimensions in lane 0, odd
;; ones in lane 1, each in increasing order, and diff = lane 0 + lane 1. A
;; dimension where q is inside the box adds +0, which changes no sum, so this is
;; the order of the JS walks' lists of outside dimensions.
;;
;; Build: node scripts/build-wasm.mjs (wabt) -> walk-kernel.wasm.ts.
(module
  (import "env" "memory" (memory 1))
  (global $node (mut i32) (i32.const 0))   ;; internal nodes, 32 B each: i32 left, right, parent, cutDim, mass, -, f64 cutValue at +24
  (global $box (mut i32) (i32.const 0))    ;; per node: dims f64 min, then dims f64 max
  (global $rsum (mut i32) (i32.const 0))   ;; per node: f64 sum of box sides
  (global $leaf (mut i32) (i32.const 0))   ;; leaves, 16 B each: i32 point, mass, parent, hash
  (global $mass (mut i32) (i32.const 0))   ;; per tree: i32 mass
  (global $root (mut i32) (i32.const 0))   ;; per tree: i32 root reference
  (global $l2 (mut i32) (i32.const 0))     ;; f64 log2(k + 1)
  (global $pv (mut i32) (i32.const 0))     ;; point values, dims f64 each
  (global $path (mut i32) (i32.const 0))   ;; scratch: i32 path
  (global $ah (mut i32) (i32.const 0))     ;; scratch: dims f64 (DiVector high, lazily scaled)
  (global $al (mut i32) (i32.const 0))     ;; scratch: dims f64 (low)
  (global $rowb (mut i32) (i32.const 0))   ;; dims * 8
  (global $pairb (mut i32) (i32.const 0))  ;; (dims >> 1) * 16: bytes covered by f64x2 pairs
  (global $odd (mut i32) (i32.const 0))    ;; dims & 1: one dimension after the pairs
  (global $leafRef (mut i32) (i32.const 0))
  (global $gapAt (mut i32) (i32.const 0))  ;; insertWalk: f64 per level, the gap of q outside the box
  (global $sumAt (mut i32) (i32.const 0))  ;; insertWalk: f64 per level, rsum + gap
  (global $km (mut i32) (i32.const 0))
  (global $ones (mut i32) (i32.const 0))   ;; per dimension an i64 -1: every dimension counts     ;; imputeLeaf: per dimension an i64 mask, -1 where known, 0 where missing
  (global $impLeaf (mut i32) (i32.const 0))
  (global $res (mut i32) (i32.const 0))
  (global $sink (mut f64) (f64.const 0))   ;; where $touchBoxes puts its loads, so they are not dropped    ;; insertWalk's results: i32 top, i32 leafRef, f64 score at +8, f64 sum at +16, f64 scale at +24

  (func (export "setup") (param $node i32) (param $box i32) (param $rsum i32) (param $leaf i32) (param $mass i32)
    (param $root i32) (param $l2 i32) (param $pv i32) (param $path i32) (param $ah i32) (param $al i32) (param $dims i32)
    (param $gapAt i32) (param $sumAt i32) (param $res i32) (param $km i32) (param $ones i32)
    (global.set $node (local.get $node)) (global.set $box (local.get $box)) (global.set $rsum (local.get $rsum))
    (global.set $leaf (local.get $leaf)) (global.set $mass (local.get $mass)) (global.set $root (local.get $root))
    (global.set $l2 (local.get $l2)) (global.set $pv (local.get $pv)) (global.set $path (local.get $path))
    (global.set $ah (local.get $ah)) (global.set $al (local.get $al))
    (global.set $rowb (i32.shl (local.get $dims) (i32.const 3)))
    (global.set $pairb (i32.shl (i32.shr_u (local.get $dims) (i32.const 1)) (i32.const 4)))
    (global.set $odd (i32.and (local.get $dims) (i32.const 1)))
    (global.set $gapAt (local.get $gapAt)) (global.set $sumAt (local.get $sumAt)) (global.set $res (local.get $res))
    (global.set $km (local.get $km)) (global.set $ones (local.get $ones)))


  ;; Descends from reference r by q's side of each cut, recording the internal
  ;; nodes in path; returns the depth, the leaf's reference in $leafRef. Starts
  ;; the loads of the boxes the walk up will read ($touchBoxes).
  (func $descend (param $r i32) (param $q i32) (result i32)
    (local $depth i32) (local $a i32)
    (block $done
      (loop $down
        (br_if $done (i32.lt_s (local.get $r) (i32.const 0)))
        (i32.store (i32.add (global.get $path) (i32.shl (local.get $depth) (i32.const 2))) (local.get $r))
        (local.set $depth (i32.add (local.get $depth) (i32.const 1)))
        (local.set $a (i32.add (global.get $node) (i32.shl (local.get $r) (i32.const 5))))
        (local.set $r
          (select
            (i32.load (local.get $a))
            (i32.load offset=4 (local.get $a))
            (f64.le
              (f64.load (i32.add (local.get $q) (i32.shl (i32.load offset=12 (local.get $a)) (i32.const 3))))
              (f64.load offset=24 (local.get $a)))))
        (br $down)))
    (global.set $leafRef (local.get $r))
    (call $touchBoxes (local.get $depth))
    (local.get $depth))

  ;; Sum of q's gaps outside the box at byte address off (two-lane order, see
  ;; above), over the dimensions whose i64 mask at `mask` is -1 (the others
  ;; count 0): $ones for the walks, $km (the known ones) for the imputation.
  (func $gapSum (param $q i32) (param $off i32) (param $mask i32) (result f64)
    (local $k i32) (local $acc v128) (local $v v128) (local $mxo i32) (local $s f64) (local $x f64)
    (local.set $mxo (i32.add (local.get $off) (global.get $rowb)))
    (block $end
      (loop $pairs
        (br_if $end (i32.ge_u (local.get $k) (global.get $pairb)))
        (local.set $v (v128.load (i32.add (local.get $q) (local.get $k))))
        (local.set $acc (f64x2.add (local.get $acc)
          (v128.and (v128.load (i32.add (local.get $mask) (local.get $k)))
            (f64x2.add
              (f64x2.pmax (f64x2.sub (v128.load (i32.add (local.get $off) (local.get $k))) (local.get $v)) (v128.const f64x2 0 0))
              (f64x2.pmax (f64x2.sub (local.get $v) (v128.load (i32.add (local.get $mxo) (local.get $k)))) (v128.const f64x2 0 0))))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $pairs)))
    (local.set $s (f64x2.extract_lane 0 (local.get $acc)))
    (if (i32.and (global.get $odd) (i64.ne (i64.load (i32.add (local.get $mask) (local.get $k))) (i64.const 0)))
      (then
        (local.set $x (f64.load (i32.add (local.get $q) (local.get $k))))
        (local.set $s (f64.add (local.get $s)
          (f64.add
            (f64.max (f64.sub (f64.load (i32.add (local.get $off) (local.get $k))) (local.get $x)) (f64.const 0))
            (f64.max (f64.sub (local.get $x) (f64.load (i32.add (local.get $mxo) (local.get $k)))) (f64.const 0)))))))
    (f64.add (local.get $s) (f64x2.extract_lane 1 (local.get $acc))))

  ;; Starts the cache misses of the boxes the upward walk reads (the lowest 8
  ;; levels of path[0..depth); it stops where a box contains q) together,
  ;; instead of one level at a time: independent loads overlap, a chain of
  ;; dependent ones does not (NodeStore's touchLowBoxes does the same in JS).
  ;; Matters where the trees are not in cache (point-by-point streaming).
  (func $touchBoxes (param $depth i32)
    (local $i i32) (local $lo i32) (local $off i32) (local $s f64)
    (local.set $lo (select (i32.sub (local.get $depth) (i32.const 8)) (i32.const 0) (i32.gt_s (local.get $depth) (i32.const 8))))
    (local.set $i (local.get $depth))
    (block $done
      (loop $levels
        (br_if $done (i32.le_s (local.get $i) (local.get $lo)))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (local.set $off (i32.add (global.get $box) (i32.mul
          (i32.load (i32.add (global.get $path) (i32.shl (local.get $i) (i32.const 2))))
          (i32.shl (global.get $rowb) (i32.const 1)))))
        (local.set $s (f64.add (local.get $s) (f64.add (f64.add
          (f64.load (local.get $off))
          (f64.load (i32.add (local.get $off) (global.get $rowb))))
          (f64.load (i32.sub (i32.add (local.get $off) (i32.shl (global.get $rowb) (i32.const 1))) (i32.const 8))))))
        (br $levels)))
    (global.set $sink (local.get $s)))

  ;; Score of the point at byte address q (hash qh) in tree t, scaled by
  ;; log2(treeMass + 1); 0 for an empty tree; -1: the leaf may hold q (JS walk).
  (func $scoreTree (export "scoreTree") (param $t i32) (param $q i32) (param $qh i32) (result f64)
    (local $r i32) (local $depth i32) (local $i i32) (local $n i32) (local $diff f64) (local $p f64) (local $score f64) (local $boxb i32)
    (local.set $r (i32.load (i32.add (global.get $root) (i32.shl (local.get $t) (i32.const 2)))))
    (if (i32.eq (local.get $r) (i32.const 0x7fffffff)) (then (return (f64.const 0))))
    (local.set $depth (call $descend (local.get $r) (local.get $q)))
    (if (i32.eq (i32.load offset=12 (i32.add (global.get $leaf) (i32.shl (i32.xor (global.get $leafRef) (i32.const -1)) (i32.const 4)))) (local.get $qh))
      (then (return (f64.const -1))))
    (local.set $score (f64.div (f64.const 1) (f64.convert_i32_s (i32.add (local.get $depth) (i32.const 1)))))
    (local.set $boxb (i32.shl (global.get $rowb) (i32.const 1)))
    (local.set $i (local.get $depth))
    (block $top
      (loop $up
        (br_if $top (i32.le_s (local.get $i) (i32.const 0)))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (local.set $n (i32.load (i32.add (global.get $path) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $diff (call $gapSum (local.get $q) (i32.add (global.get $box) (i32.mul (local.get $n) (local.get $boxb))) (global.get $ones)))
        (br_if $top (f64.le (local.get $diff) (f64.const 0)))
        (local.set $p (f64.div (local.get $diff)
          (f64.add (f64.load (i32.add (global.get $rsum) (i32.shl (local.get $n) (i32.const 3)))) (local.get $diff))))
        (local.set $score (f64.add
          (f64.div (local.get $p) (f64.convert_i32_s (i32.add (local.get $i) (i32.const 1))))
          (f64.mul (f64.sub (f64.const 1) (local.get $p)) (local.get $score))))
        (br $up)))
    (f64.mul (local.get $score)
      (f64.load (i32.add (global.get $l2)
        (i32.shl (i32.load (i32.add (global.get $mass) (i32.shl (local.get $t) (i32.const 2)))) (i32.const 3))))))

  ;; The leaf level of a DiVector walk: q's distance to the leaf point at pb,
  ;; summed in dimension order (as insert / leafAttribution sum it).
  (func $leafSum (param $q i32) (param $pb i32) (result f64)
    (local $k i32) (local $sum f64)
    (block $end
      (loop $dims
        (br_if $end (i32.ge_u (local.get $k) (global.get $rowb)))
        (local.set $sum (f64.add (local.get $sum)
          (f64.abs (f64.sub (f64.load (i32.add (local.get $pb) (local.get $k))) (f64.load (i32.add (local.get $q) (local.get $k)))))))
        (local.set $k (i32.add (local.get $k) (i32.const 8)))
        (br $dims)))
    (local.get $sum))

  ;; leafAttribution: the leaf score split by |q - leaf| per dimension and side, x c = score / sum.
  (func $leafAttr (param $q i32) (param $pb i32) (param $c f64)
    (local $k i32) (local $v v128) (local $cv v128) (local $x f64) (local $a f64)
    (local.set $cv (f64x2.splat (local.get $c)))
    (block $end
      (loop $pairs
        (br_if $end (i32.ge_u (local.get $k) (global.get $pairb)))
        (local.set $v (v128.load (i32.add (local.get $q) (local.get $k))))
        (v128.store (i32.add (global.get $ah) (local.get $k))
          (f64x2.mul (f64x2.pmax (f64x2.sub (local.get $v) (v128.load (i32.add (local.get $pb) (local.get $k)))) (v128.const f64x2 0 0)) (local.get $cv)))
        (v128.store (i32.add (global.get $al) (local.get $k))
          (f64x2.mul (f64x2.pmax (f64x2.sub (v128.load (i32.add (local.get $pb) (local.get $k))) (local.get $v)) (v128.const f64x2 0 0)) (local.get $cv)))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $pairs)))
    (if (global.get $odd)
      (then
        (local.set $x (f64.load (i32.add (local.get $q) (local.get $k))))
        (local.set $a (f64.load (i32.add (local.get $pb) (local.get $k))))
        (f64.store (i32.add (global.get $ah) (local.get $k))
          (select (f64.mul (f64.sub (local.get $x) (local.get $a)) (local.get $c)) (f64.const 0) (f64.gt (local.get $x) (local.get $a))))
        (f64.store (i32.add (global.get $al) (local.get $k))
          (select (f64.mul (f64.sub (local.get $a) (local.get $x)) (local.get $c)) (f64.const 0) (f64.lt (local.get $x) (local.get $a)))))))

  ;; stepAttribution at depth i for the box at off: every part x (1 - diff/sumNew),
  ;; kept in the lazy scale (folded in before it can underflow), plus this
  ;; level's parts gap / sumNew / (i + 1) where q is outside. Returns the new scale.
  (func $step (param $q i32) (param $off i32) (param $diff f64) (param $sumNew f64) (param $i i32) (param $scale f64) (result f64)
    (local $k i32) (local $mxo i32) (local $c f64) (local $g f64) (local $x f64)
    (local $v v128) (local $cv v128) (local $lo v128) (local $hi v128)
    (local.set $mxo (i32.add (local.get $off) (global.get $rowb)))
    (local.set $scale (f64.mul (local.get $scale) (f64.sub (f64.const 1) (f64.div (local.get $diff) (local.get $sumNew)))))
    (if (i32.eqz (f64.gt (local.get $scale) (f64.const 1e-150)))
      (then
        (block $end
          (loop $all
            (br_if $end (i32.ge_u (local.get $k) (global.get $rowb)))
            (f64.store (i32.add (global.get $ah) (local.get $k)) (f64.mul (f64.load (i32.add (global.get $ah) (local.get $k))) (local.get $scale)))
            (f64.store (i32.add (global.get $al) (local.get $k)) (f64.mul (f64.load (i32.add (global.get $al) (local.get $k))) (local.get $scale)))
            (local.set $k (i32.add (local.get $k) (i32.const 8)))
            (br $all)))
        (local.set $scale (f64.const 1))))
    (local.set $c (f64.div (f64.const 1)
      (f64.mul (f64.mul (f64.convert_i32_s (i32.add (local.get $i) (i32.const 1))) (local.get $sumNew)) (local.get $scale))))
    (local.set $cv (f64x2.splat (local.get $c)))
    (local.set $k (i32.const 0))
    (block $end
      (loop $pairs
        (br_if $end (i32.ge_u (local.get $k) (global.get $pairb)))
        (local.set $v (v128.load (i32.add (local.get $q) (local.get $k))))
        (local.set $lo (f64x2.sub (v128.load (i32.add (local.get $off) (local.get $k))) (local.get $v)))
        (local.set $hi (f64x2.sub (local.get $v) (v128.load (i32.add (local.get $mxo) (local.get $k)))))
        (v128.store (i32.add (global.get $ah) (local.get $k))
          (f64x2.add (v128.load (i32.add (global.get $ah) (local.get $k)))
            (v128.and (f64x2.mul (local.get $hi) (local.get $cv)) (f64x2.gt (local.get $hi) (v128.const f64x2 0 0)))))
        (v128.store (i32.add (global.get $al) (local.get $k))
          (f64x2.add (v128.load (i32.add (global.get $al) (local.get $k)))
            (v128.and (f64x2.mul (local.get $lo) (local.get $cv)) (f64x2.gt (local.get $lo) (v128.const f64x2 0 0)))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $pairs)))
    (if (global.get $odd)
      (then
        (local.set $x (f64.load (i32.add (local.get $q) (local.get $k))))
        (local.set $g (f64.sub (local.get $x) (f64.load (i32.add (local.get $mxo) (local.get $k)))))
        (if (f64.gt (local.get $g) (f64.const 0))
          (then (f64.store (i32.add (global.get $ah) (local.get $k))
            (f64.add (f64.load (i32.add (global.get $ah) (local.get $k))) (f64.mul (local.get $g) (local.get $c))))))
        (local.set $g (f64.sub (f64.load (i32.add (local.get $off) (local.get $k))) (local.get $x)))
        (if (f64.gt (local.get $g) (f64.const 0))
          (then (f64.store (i32.add (global.get $al) (local.get $k))
            (f64.add (f64.load (i32.add (global.get $al) (local.get $k))) (f64.mul (local.get $g) (local.get $c))))))))
    (local.get $scale))

  ;; Score (returned, scaled as scoreTree's) and DiVector of q in tree t; the
  ;; DiVector x weight x log2(treeMass + 1) is added to the rows at oh / ol.
  ;; 0 for an empty tree (nothing added); -1: the leaf may hold q (JS walk, nothing added).
  (func $attribution (export "attribution") (param $t i32) (param $q i32) (param $qh i32) (param $weight f64) (param $oh i32) (param $ol i32) (result f64)
    (local $r i32) (local $depth i32) (local $i i32) (local $n i32) (local $k i32) (local $pb i32) (local $off i32)
    (local $diff f64) (local $p f64) (local $score f64) (local $sumNew f64) (local $norm f64) (local $scale f64) (local $h f64)
    (local.set $r (i32.load (i32.add (global.get $root) (i32.shl (local.get $t) (i32.const 2)))))
    (if (i32.eq (local.get $r) (i32.const 0x7fffffff)) (then (return (f64.const 0))))
    (local.set $depth (call $descend (local.get $r) (local.get $q)))
    (local.set $pb (i32.add (global.get $leaf) (i32.shl (i32.xor (global.get $leafRef) (i32.const -1)) (i32.const 4))))
    (if (i32.eq (i32.load offset=12 (local.get $pb)) (local.get $qh)) (then (return (f64.const -1))))
    (local.set $norm (f64.load (i32.add (global.get $l2)
      (i32.shl (i32.load (i32.add (global.get $mass) (i32.shl (local.get $t) (i32.const 2)))) (i32.const 3)))))
    (local.set $pb (i32.add (global.get $pv) (i32.mul (i32.load (local.get $pb)) (global.get $rowb))))
    (local.set $score (f64.div (f64.const 1) (f64.convert_i32_s (i32.add (local.get $depth) (i32.const 1)))))
    (call $leafAttr (local.get $q) (local.get $pb) (f64.div (local.get $score) (call $leafSum (local.get $q) (local.get $pb))))
    (local.set $scale (f64.const 1))
    (local.set $i (local.get $depth))
    (block $top
      (loop $up
        (br_if $top (i32.le_s (local.get $i) (i32.const 0)))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (local.set $n (i32.load (i32.add (global.get $path) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $off (i32.add (global.get $box) (i32.mul (local.get $n) (i32.shl (global.get $rowb) (i32.const 1)))))
        (local.set $diff (call $gapSum (local.get $q) (local.get $off) (global.get $ones)))
        (br_if $top (f64.le (local.get $diff) (f64.const 0)))
        (local.set $sumNew (f64.add (f64.load (i32.add (global.get $rsum) (i32.shl (local.get $n) (i32.const 3)))) (local.get $diff)))
        (local.set $p (f64.div (local.get $diff) (local.get $sumNew)))
        (local.set $score (f64.add
          (f64.div (local.get $p) (f64.convert_i32_s (i32.add (local.get $i) (i32.const 1))))
          (f64.mul (f64.sub (f64.const 1) (local.get $p)) (local.get $score))))
        (local.set $scale (call $step (local.get $q) (local.get $off) (local.get $diff) (local.get $sumNew) (local.get $i) (local.get $scale)))
        (br $up)))
    ;; out += parts x (weight x norm x scale)
    (local.set $h (f64.mul (f64.mul (local.get $weight) (local.get $norm)) (local.get $scale)))
    (local.set $k (i32.const 0))
    (block $end
      (loop $all
        (br_if $end (i32.ge_u (local.get $k) (global.get $rowb)))
        (f64.store (i32.add (local.get $oh) (local.get $k))
          (f64.add (f64.load (i32.add (local.get $oh) (local.get $k))) (f64.mul (f64.load (i32.add (global.get $ah) (local.get $k))) (local.get $h))))
        (f64.store (i32.add (local.get $ol) (local.get $k))
          (f64.add (f64.load (i32.add (local.get $ol) (local.get $k))) (f64.mul (f64.load (i32.add (global.get $al) (local.get $k))) (local.get $h))))
        (local.set $k (i32.add (local.get $k) (i32.const 8)))
        (br $all)))
    (f64.mul (local.get $score) (local.get $norm)))

  ;; The read-only first half of NodeStore.insert on a non-empty tree t: the
  ;; descent (path), q's distance `sum` to the leaf point, and going up, per
  ;; level i where q lies outside the box, gapAt[i] and sumAt[i] = rsum + gap,
  ;; the highest such level `top`, the (unscaled) score and, with withAttr, the
  ;; DiVector parts in ah/al with the lazy scale. Returns the depth (results at
  ;; $res), or -1 when q equals the leaf point (a duplicate: the JS insert does it).
  (func (export "insertWalk") (param $t i32) (param $q i32) (param $withAttr i32) (result i32)
    (local $depth i32) (local $i i32) (local $n i32) (local $top i32) (local $pb i32) (local $off i32)
    (local $gap f64) (local $sep f64) (local $score f64) (local $sum f64) (local $sumNew f64) (local $scale f64)
    (local.set $depth (call $descend
      (i32.load (i32.add (global.get $root) (i32.shl (local.get $t) (i32.const 2)))) (local.get $q)))
    (local.set $pb (i32.add (global.get $pv) (i32.mul
      (i32.load (i32.add (global.get $leaf) (i32.shl (i32.xor (global.get $leafRef) (i32.const -1)) (i32.const 4))))
      (global.get $rowb))))
    (local.set $sum (call $leafSum (local.get $q) (local.get $pb)))
    (if (f64.eq (local.get $sum) (f64.const 0)) (then (return (i32.const -1))))
    (local.set $score (f64.div (f64.const 1) (f64.convert_i32_s (i32.add (local.get $depth) (i32.const 1)))))
    (local.set $scale (f64.const 1))
    (if (local.get $withAttr)
      (then (call $leafAttr (local.get $q) (local.get $pb) (f64.div (local.get $score) (local.get $sum)))))
    (local.set $top (local.get $depth))
    (local.set $i (local.get $depth))
    (block $done
      (loop $up
        (br_if $done (i32.le_s (local.get $i) (i32.const 0)))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (local.set $n (i32.load (i32.add (global.get $path) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $off (i32.add (global.get $box) (i32.mul (local.get $n) (i32.shl (global.get $rowb) (i32.const 1)))))
        (local.set $gap (call $gapSum (local.get $q) (local.get $off) (global.get $ones)))
        (local.set $sumNew (f64.add (f64.load (i32.add (global.get $rsum) (i32.shl (local.get $n) (i32.const 3)))) (local.get $gap)))
        (br_if $done (f64.le (local.get $gap) (f64.const 0)))
        (local.set $top (local.get $i))
        (f64.store (i32.add (global.get $gapAt) (i32.shl (local.get $i) (i32.const 3))) (local.get $gap))
        (f64.store (i32.add (global.get $sumAt) (i32.shl (local.get $i) (i32.const 3))) (local.get $sumNew))
        (local.set $sep (f64.div (local.get $gap) (local.get $sumNew)))
        (local.set $score (f64.add
          (f64.div (local.get $sep) (f64.convert_i32_s (i32.add (local.get $i) (i32.const 1))))
          (f64.mul (f64.sub (f64.const 1) (local.get $sep)) (local.get $score))))
        (if (local.get $withAttr)
          (then (local.set $scale (call $step (local.get $q) (local.get $off) (local.get $gap) (local.get $sumNew) (local.get $i) (local.get $scale)))))
        (br $up)))
    (i32.store (global.get $res) (local.get $top))
    (i32.store offset=4 (global.get $res) (global.get $leafRef))
    (f64.store offset=8 (global.get $res) (local.get $score))
    (f64.store offset=16 (global.get $res) (local.get $sum))
    (f64.store offset=24 (global.get $res) (local.get $scale))
    (local.get $depth))

  ;; rsum[n] from n's box: the sides summed in dimension order (NodeStore.sumSides).
  (func $sumSides (param $n i32)
    (local $k i32) (local $off i32) (local $s f64)
    (local.set $off (i32.add (global.get $box) (i32.mul (local.get $n) (i32.shl (global.get $rowb) (i32.const 1)))))
    (block $end
      (loop $dims
        (br_if $end (i32.ge_u (local.get $k) (global.get $rowb)))
        (local.set $s (f64.add (local.get $s)
          (f64.sub (f64.load (i32.add (i32.add (local.get $off) (global.get $rowb)) (local.get $k))) (f64.load (i32.add (local.get $off) (local.get $k))))))
        (local.set $k (i32.add (local.get $k) (i32.const 8)))
        (br $dims)))
    (f64.store (i32.add (global.get $rsum) (i32.shl (local.get $n) (i32.const 3))) (local.get $s)))

  ;; The end of NodeStore.insert: the boxes of path[from..to) grow to take q, and their rsum follows.
  (func (export "growPath") (param $q i32) (param $from i32) (param $to i32)
    (local $i i32) (local $n i32) (local $k i32) (local $off i32) (local $mxo i32) (local $v v128) (local $x f64)
    (local.set $i (local.get $from))
    (block $done
      (loop $levels
        (br_if $done (i32.ge_s (local.get $i) (local.get $to)))
        (local.set $n (i32.load (i32.add (global.get $path) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $off (i32.add (global.get $box) (i32.mul (local.get $n) (i32.shl (global.get $rowb) (i32.const 1)))))
        (local.set $mxo (i32.add (local.get $off) (global.get $rowb)))
        (local.set $k (i32.const 0))
        (block $end
          (loop $pairs
            (br_if $end (i32.ge_u (local.get $k) (global.get $pairb)))
            (local.set $v (v128.load (i32.add (local.get $q) (local.get $k))))
            (v128.store (i32.add (local.get $off) (local.get $k)) (f64x2.pmin (v128.load (i32.add (local.get $off) (local.get $k))) (local.get $v)))
            (v128.store (i32.add (local.get $mxo) (local.get $k)) (f64x2.pmax (v128.load (i32.add (local.get $mxo) (local.get $k))) (local.get $v)))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $pairs)))
        (if (global.get $odd)
          (then
            (local.set $x (f64.load (i32.add (local.get $q) (local.get $k))))
            (if (f64.lt (local.get $x) (f64.load (i32.add (local.get $off) (local.get $k))))
              (then (f64.store (i32.add (local.get $off) (local.get $k)) (local.get $x))))
            (if (f64.gt (local.get $x) (f64.load (i32.add (local.get $mxo) (local.get $k))))
              (then (f64.store (i32.add (local.get $mxo) (local.get $k)) (local.get $x))))))
        (call $sumSides (local.get $n))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $levels))))

  ;; Byte address of child reference c's lower corner (a leaf: its point) and
  ;; its upper corner (a leaf: the same point), as two i32 results.
  (func $corners (param $c i32) (result i32 i32)
    (local $a i32)
    (if (result i32 i32) (i32.lt_s (local.get $c) (i32.const 0))
      (then
        (local.set $a (i32.add (global.get $pv) (i32.mul
          (i32.load (i32.add (global.get $leaf) (i32.shl (i32.xor (local.get $c) (i32.const -1)) (i32.const 4))))
          (global.get $rowb))))
        (local.get $a) (local.get $a))
      (else
        (local.set $a (i32.add (global.get $box) (i32.mul (local.get $c) (i32.shl (global.get $rowb) (i32.const 1)))))
        (local.get $a) (i32.add (local.get $a) (global.get $rowb)))))

  ;; The end of NodeStore.delete: from node n up, each box becomes the union of
  ;; its children's again (and its rsum follows), until a box does not change.
  (func (export "shrinkUp") (param $n i32)
    (local $a i32) (local $k i32) (local $off i32) (local $mxo i32)
    (local $lmin i32) (local $lmax i32) (local $rmin i32) (local $rmax i32)
    (local $mn v128) (local $mx v128) (local $ch v128) (local $chTail i32) (local $fmn f64) (local $fmx f64) (local $u f64) (local $w f64)
    (block $done
      (loop $levels
        (br_if $done (i32.lt_s (local.get $n) (i32.const 0)))
        (local.set $a (i32.add (global.get $node) (i32.shl (local.get $n) (i32.const 5))))
        (call $corners (i32.load (local.get $a)))
        (local.set $lmax)
        (local.set $lmin)
        (call $corners (i32.load offset=4 (local.get $a)))
        (local.set $rmax)
        (local.set $rmin)
        (local.set $off (i32.add (global.get $box) (i32.mul (local.get $n) (i32.shl (global.get $rowb) (i32.const 1)))))
        (local.set $mxo (i32.add (local.get $off) (global.get $rowb)))
        (local.set $ch (v128.const i64x2 0 0))
        (local.set $chTail (i32.const 0))
        (local.set $k (i32.const 0))
        (block $end
          (loop $pairs
            (br_if $end (i32.ge_u (local.get $k) (global.get $pairb)))
            (local.set $mn (f64x2.pmin (v128.load (i32.add (local.get $lmin) (local.get $k))) (v128.load (i32.add (local.get $rmin) (local.get $k)))))
            (local.set $mx (f64x2.pmax (v128.load (i32.add (local.get $lmax) (local.get $k))) (v128.load (i32.add (local.get $rmax) (local.get $k)))))
            (local.set $ch (v128.or (local.get $ch) (v128.or
              (f64x2.ne (local.get $mn) (v128.load (i32.add (local.get $off) (local.get $k))))
              (f64x2.ne (local.get $mx) (v128.load (i32.add (local.get $mxo) (local.get $k)))))))
            (v128.store (i32.add (local.get $off) (local.get $k)) (local.get $mn))
            (v128.store (i32.add (local.get $mxo) (local.get $k)) (local.get $mx))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $pairs)))
        (if (global.get $odd)
          (then
            (local.set $u (f64.load (i32.add (local.get $lmin) (local.get $k))))
            (local.set $w (f64.load (i32.add (local.get $rmin) (local.get $k))))
            (local.set $fmn (select (local.get $u) (local.get $w) (f64.lt (local.get $u) (local.get $w))))
            (local.set $u (f64.load (i32.add (local.get $lmax) (local.get $k))))
            (local.set $w (f64.load (i32.add (local.get $rmax) (local.get $k))))
            (local.set $fmx (select (local.get $u) (local.get $w) (f64.gt (local.get $u) (local.get $w))))
            (local.set $chTail (i32.or
              (f64.ne (local.get $fmn) (f64.load (i32.add (local.get $off) (local.get $k))))
              (f64.ne (local.get $fmx) (f64.load (i32.add (local.get $mxo) (local.get $k))))))
            (f64.store (i32.add (local.get $off) (local.get $k)) (local.get $fmn))
            (f64.store (i32.add (local.get $mxo) (local.get $k)) (local.get $fmx))))
        (br_if $done (i32.eqz (i32.or (v128.any_true (local.get $ch)) (local.get $chTail))))
        (call $sumSides (local.get $n))
        (local.set $n (i32.load offset=8 (local.get $a)))
        (br $levels))))

  ;; The read-only walks of a run of chunk rows on tree t, which does not change
  ;; between them: for each row k listed at rows (i32), out[k] += scoreTree of
  ;; the row at q0 + k * dims (hash hash0[k]). Rows whose leaf may hold them are
  ;; listed again, from rows[0], for the JS walk; returns how many.
  (func (export "scoreRows") (param $t i32) (param $n i32) (param $rows i32) (param $q0 i32) (param $hash0 i32) (param $out0 i32) (result i32)
    (local $j i32) (local $k i32) (local $d i32) (local $s f64) (local $o i32)
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $k (i32.load (i32.add (local.get $rows) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $s (call $scoreTree (local.get $t)
          (i32.add (local.get $q0) (i32.mul (local.get $k) (global.get $rowb)))
          (i32.load (i32.add (local.get $hash0) (i32.shl (local.get $k) (i32.const 2))))))
        (if (f64.lt (local.get $s) (f64.const 0))
          (then
            (i32.store (i32.add (local.get $rows) (i32.shl (local.get $d) (i32.const 2))) (local.get $k))
            (local.set $d (i32.add (local.get $d) (i32.const 1))))
          (else
            (local.set $o (i32.add (local.get $out0) (i32.shl (local.get $k) (i32.const 3))))
            (f64.store (local.get $o) (f64.add (f64.load (local.get $o)) (local.get $s)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $each)))
    (local.get $d))

  ;; As scoreRows, with attribution: DiVectors x weight x log2(treeMass + 1)
  ;; added into the rows at high0 / low0 + k * dims.
  (func (export "attributionRows") (param $t i32) (param $n i32) (param $rows i32) (param $q0 i32) (param $hash0 i32) (param $out0 i32)
    (param $weight f64) (param $high0 i32) (param $low0 i32) (result i32)
    (local $j i32) (local $k i32) (local $d i32) (local $s f64) (local $o i32) (local $row i32)
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $k (i32.load (i32.add (local.get $rows) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $row (i32.mul (local.get $k) (global.get $rowb)))
        (local.set $s (call $attribution (local.get $t)
          (i32.add (local.get $q0) (local.get $row))
          (i32.load (i32.add (local.get $hash0) (i32.shl (local.get $k) (i32.const 2))))
          (local.get $weight)
          (i32.add (local.get $high0) (local.get $row))
          (i32.add (local.get $low0) (local.get $row))))
        (if (f64.lt (local.get $s) (f64.const 0))
          (then
            (i32.store (i32.add (local.get $rows) (i32.shl (local.get $d) (i32.const 2))) (local.get $k))
            (local.set $d (i32.add (local.get $d) (i32.const 1))))
          (else
            (local.set $o (i32.add (local.get $out0) (i32.shl (local.get $k) (i32.const 3))))
            (f64.store (local.get $o) (f64.add (f64.load (local.get $o)) (local.get $s)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $each)))
    (local.get $d))

  ;; TreeVisitors.imputeNode: the rank of the best leaf under reference r (at
  ;; depth), that leaf in $impLeaf. Where a node cuts on a missing dimension
  ;; both children are walked and the lower rank wins (the left on ties).
  (func $imputeNode (param $r i32) (param $depth i32) (param $q i32) (result f64)
    (local $a i32) (local $k i32) (local $pb i32) (local $ll i32) (local $c i32)
    (local $rank f64) (local $rl f64) (local $diff f64) (local $p f64)
    (if (i32.lt_s (local.get $r) (i32.const 0))
      (then
        (global.set $impLeaf (i32.xor (local.get $r) (i32.const -1)))
        (local.set $a (i32.add (global.get $leaf) (i32.shl (global.get $impLeaf) (i32.const 4))))
        (local.set $pb (i32.add (global.get $pv) (i32.mul (i32.load (local.get $a)) (global.get $rowb))))
        (block $differs
          (block $scan
            (loop $dims
              (br_if $scan (i32.ge_u (local.get $k) (global.get $rowb)))
              (if (i64.ne (i64.load (i32.add (global.get $km) (local.get $k))) (i64.const 0))
                (then (br_if $differs (f64.ne (f64.load (i32.add (local.get $pb) (local.get $k))) (f64.load (i32.add (local.get $q) (local.get $k)))))))
              (local.set $k (i32.add (local.get $k) (i32.const 8)))
              (br $dims)))
          ;; equal in every known dimension
          (if (i32.eqz (local.get $depth)) (then (return (f64.const 0))))
          (return (f64.div (f64.const 1) (f64.add (f64.convert_i32_s (local.get $depth))
            (f64.load (i32.add (global.get $l2) (i32.shl (i32.load offset=4 (local.get $a)) (i32.const 3))))))))
        (return (f64.div (f64.const 1) (f64.convert_i32_s (i32.add (local.get $depth) (i32.const 1)))))))
    (local.set $a (i32.add (global.get $node) (i32.shl (local.get $r) (i32.const 5))))
    (local.set $c (i32.load offset=12 (local.get $a)))
    (if (i64.eqz (i64.load (i32.add (global.get $km) (i32.shl (local.get $c) (i32.const 3)))))
      (then
        (local.set $rl (call $imputeNode (i32.load (local.get $a)) (i32.add (local.get $depth) (i32.const 1)) (local.get $q)))
        (local.set $ll (global.get $impLeaf))
        (local.set $rank (call $imputeNode (i32.load offset=4 (local.get $a)) (i32.add (local.get $depth) (i32.const 1)) (local.get $q)))
        (if (i32.eqz (f64.lt (local.get $rank) (local.get $rl)))
          (then
            (local.set $rank (local.get $rl))
            (global.set $impLeaf (local.get $ll)))))
      (else
        (local.set $rank (call $imputeNode
          (select
            (i32.load (local.get $a))
            (i32.load offset=4 (local.get $a))
            (f64.le (f64.load (i32.add (local.get $q) (i32.shl (local.get $c) (i32.const 3)))) (f64.load offset=24 (local.get $a))))
          (i32.add (local.get $depth) (i32.const 1)) (local.get $q)))))
    (local.set $diff (call $gapSum (local.get $q)
      (i32.add (global.get $box) (i32.mul (local.get $r) (i32.shl (global.get $rowb) (i32.const 1)))) (global.get $km)))
    (if (f64.gt (local.get $diff) (f64.const 0))
      (then
        (local.set $p (f64.div (local.get $diff)
          (f64.add (f64.load (i32.add (global.get $rsum) (i32.shl (local.get $r) (i32.const 3)))) (local.get $diff))))
        (local.set $rank (f64.add
          (f64.div (local.get $p) (f64.convert_i32_s (i32.add (local.get $depth) (i32.const 1))))
          (f64.mul (f64.sub (f64.const 1) (local.get $p)) (local.get $rank))))))
    (local.get $rank))

  ;; TreeVisitors.imputeLeaf on tree t for the point at q with the known mask
  ;; at $km: the winning leaf's point index, or -1 for an empty tree.
  (func (export "imputeLeaf") (param $t i32) (param $q i32) (result i32)
    (local $r i32)
    (local.set $r (i32.load (i32.add (global.get $root) (i32.shl (local.get $t) (i32.const 2)))))
    (if (i32.eq (local.get $r) (i32.const 0x7fffffff)) (then (return (i32.const -1))))
    (drop (call $imputeNode (local.get $r) (i32.const 0) (local.get $q)))
    (i32.load (i32.add (global.get $leaf) (i32.shl (global.get $impLeaf) (i32.const 4)))))
)
